"""A seller's inbound case nobody answered by its first-response deadline is escalated, once
(internal, shown over HTTP, as for an order's case). Called by the inbound cases' timer."""

from datetime import datetime

from support.usecases.context import Support


async def escalate_inbound_case_on_timer(case_id: str, now: datetime, support: Support) -> None:
    await support.inbound.update(case_id, lambda case: case.escalated_if_due(now))
