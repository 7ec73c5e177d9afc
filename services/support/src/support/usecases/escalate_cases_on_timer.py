"""Open cases nobody answered by their first-response deadline are escalated, once. Called by
the timer poller; an internal state (shown over HTTP), no contract event."""

from datetime import datetime

from conveyor_runtime.outbox import OutboxMessage
from support.domain.cases import OrderCases
from support.usecases.context import Support


async def escalate_cases_on_timer(order_id: str, now: datetime, support: Support) -> None:
    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        return cases.escalated(now), []

    await support.cases.update(order_id, change)
