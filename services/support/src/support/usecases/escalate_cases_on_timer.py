"""Open cases nobody answered by their first-response deadline are escalated, once (an internal
state, shown over HTTP, no contract event); personal data past its retention is erased. Called
by the timer poller."""

from datetime import datetime

from conveyor_runtime.outbox import OutboxMessage
from support.domain.cases import OrderCases
from support.usecases.context import Support
from support.usecases.forget_personal_data import forget_if_due


async def escalate_cases_on_timer(order_id: str, now: datetime, support: Support) -> None:
    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        return forget_if_due(cases.escalated(now), now, support), []

    await support.cases.update(order_id, change)
