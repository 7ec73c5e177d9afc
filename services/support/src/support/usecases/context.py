"""What every support use case works with: its repositories, its policy, its clock."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_runtime.outlet import Cause
from support.domain.aftersales import ReturnPolicy
from support.domain.cases import OrderCases
from support.domain.timeline import Timeline
from support.ports import (
    CaseRepository,
    CasesChange,
    InboundCaseRepository,
    TimelineChange,
    TimelineRepository,
)


@dataclass(frozen=True)
class Support:
    timelines: TimelineRepository
    cases: CaseRepository
    inbound: InboundCaseRepository  # sellers' cases about their inbound shipments
    first_response: timedelta
    clock: Callable[[], datetime]
    returns: ReturnPolicy
    retention: timedelta  # personal data kept this long once the order is over for support
    new_id: Callable[[], uuid.UUID] = field(default=uuid.uuid4)

    def cause_of(self, event: OrderEnvelope) -> Cause:
        """``event`` as the cause of a change, handled now by support's clock. Its correlation
        is left to the order's cases, whose events all carry the one they were first heard in."""
        return Cause(event.event_id, self.clock())

    def action(self) -> Cause:
        """A person's action over HTTP, now: no event caused it, its events have ids of their
        own and the order's correlation."""
        return Cause(None, self.clock())


async def upsert_timeline(
    timelines: TimelineRepository, order_id: str, correlation_id: str, change: TimelineChange
) -> Timeline:
    """Apply ``change`` to the order's timeline, creating the timeline on the order's first fact
    (facts of one order arrive on several topics, in any order)."""
    return await timelines.upsert(order_id, change, Timeline(order_id, correlation_id))


async def upsert_cases(
    support: Support, order_id: str, correlation_id: str, change: CasesChange, cause: Cause
) -> OrderCases:
    """Apply ``change``, made by ``cause``, to the order's cases, creating the document with the
    order's first case."""
    new = OrderCases(order_id, correlation_id)
    return await support.cases.upsert(order_id, change, new, cause)
