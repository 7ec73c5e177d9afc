"""What every support use case works with: its repositories, where it publishes, its policy."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from support.domain.aftersales import ReturnPolicy
from support.domain.cases import OrderCases
from support.domain.timeline import Timeline
from support.ports import CaseRepository, CasesChange, TimelineChange, TimelineRepository, Topics


@dataclass(frozen=True)
class Support:
    timelines: TimelineRepository
    cases: CaseRepository
    topics: Topics
    first_response: timedelta
    clock: Callable[[], datetime]
    returns: ReturnPolicy
    retention: timedelta  # personal data kept this long once the order is over for support
    new_id: Callable[[], uuid.UUID] = field(default=uuid.uuid4)


async def upsert_timeline(
    timelines: TimelineRepository, order_id: str, correlation_id: str, change: TimelineChange
) -> Timeline:
    """Apply ``change`` to the order's timeline, creating the timeline on the order's first fact
    (facts of one order arrive on several topics, in any order)."""
    return await timelines.upsert(order_id, change, Timeline(order_id, correlation_id))


async def upsert_cases(
    support: Support, order_id: str, correlation_id: str, change: CasesChange
) -> OrderCases:
    """Apply ``change`` to the order's cases, creating the document with the order's first case."""
    return await support.cases.upsert(order_id, change, OrderCases(order_id, correlation_id))
