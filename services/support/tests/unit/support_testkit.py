"""The support use cases on in-memory adapters, with a clock the test moves."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from conveyor_contracts.support import REFUND_EVENTS, SUPPORT_CASE_EVENTS
from conveyor_contracts.topics import SUPPORT_CASES, SUPPORT_REFUNDS
from conveyor_testkit import from_example
from support.adapters.memory import MemoryCases, MemoryTimelines
from support.adapters.memory_inbound import MemoryInboundCases
from support.domain.aftersales import ReturnPolicy
from support.usecases.context import Support

ORDER = "ord_01J9Z3K8M4QH2V"
M = TypeVar("M", bound=BaseModel)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 14, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    support: Support
    timelines: MemoryTimelines
    cases: MemoryCases
    inbound: MemoryInboundCases
    clock: Clock

    def published(self) -> list[Any]:
        """Events published on the cases topic."""
        return [
            SUPPORT_CASE_EVENTS.validate_json(m.payload)
            for m in self.cases.published
            if m.topic == SUPPORT_CASES.name
        ]

    def refunds(self) -> list[Any]:
        """Events published on the refunds topic."""
        return [
            REFUND_EVENTS.validate_json(m.payload)
            for m in self.cases.published
            if m.topic == SUPPORT_REFUNDS.name
        ]

    def types(self) -> list[str]:
        return [event.event_type for event in self.published()]


def world(first_response_hours: float = 4, retention_days: float = 90) -> World:
    clock = Clock()
    timelines, cases, inbound = MemoryTimelines(), MemoryCases(), MemoryInboundCases()
    support = Support(
        timelines=timelines,
        cases=cases,
        inbound=inbound,
        returns=ReturnPolicy(
            window_days={"US": 30, "CA": 30, "GB": 14},
            warehouses={"US": "WH-US-NJ1", "CA": "WH-CA-ON1", "GB": "WH-GB-MAN1"},
        ),
        first_response=timedelta(hours=first_response_hours),
        clock=clock,
        retention=timedelta(days=retention_days),
    )
    return World(support, timelines, cases, inbound, clock)


def event(model: type[M], order_id: str = ORDER, **fields: Any) -> M:
    """A valid event of ``order_id``; ``at`` (a datetime) sets occurred_at."""
    at = fields.pop("at", None)
    if at is not None:
        fields["occurred_at"] = at.isoformat()
    if "causation_id" in fields and fields["causation_id"] is not None:
        fields["causation_id"] = str(fields["causation_id"])
    return from_example(model, order_id=order_id, correlation_id=order_id, **fields)


def new_id() -> str:
    return str(uuid.uuid4())
