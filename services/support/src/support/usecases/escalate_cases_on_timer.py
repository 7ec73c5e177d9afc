"""Open cases nobody answered by their first-response deadline are escalated, once (an internal
state, shown over HTTP, no contract event); personal data past its retention is erased. Called
by the timer poller."""

from datetime import datetime

from conveyor_runtime.outlet import Cause
from support.domain.cases import OrderCases
from support.domain.events import SupportEvent
from support.domain.privacy import forgotten_if_due
from support.usecases.context import Support


async def escalate_cases_on_timer(order_id: str, now: datetime, support: Support) -> None:
    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        return forgotten_if_due(cases.escalated(now), now, support.retention), []

    await support.cases.update(order_id, change, Cause(None, now))
