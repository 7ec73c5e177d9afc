"""What the support use cases need from the outside world, as Protocols."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conveyor_runtime.outbox import OutboxMessage
from support.domain.cases import OrderCases
from support.domain.timeline import Timeline

TimelineChange = Callable[[Timeline], tuple[Timeline, list[OutboxMessage]]]
CasesChange = Callable[[OrderCases], tuple[OrderCases, list[OutboxMessage]]]


class TimelineRepository(Protocol):
    async def add(self, timeline: Timeline) -> bool:
        """Store a new timeline; False if the order already has one."""
        ...

    async def update(self, order_id: str, change: TimelineChange) -> Timeline | None:
        """Apply ``change`` atomically; None when the order has no timeline yet."""
        ...

    async def upsert(self, order_id: str, change: TimelineChange, new: Timeline) -> Timeline:
        """Apply ``change`` atomically, to ``new`` when the order has no timeline yet."""
        ...

    async def get(self, order_id: str) -> Timeline | None: ...


class CaseRepository(Protocol):
    async def add(self, cases: OrderCases, messages: Sequence[OutboxMessage]) -> bool:
        """Store an order's first cases with their messages; False if the order has cases."""
        ...

    async def update(self, order_id: str, change: CasesChange) -> OrderCases | None:
        """Apply ``change`` with its messages atomically; None when the order has no cases."""
        ...

    async def upsert(self, order_id: str, change: CasesChange, new: OrderCases) -> OrderCases:
        """Apply ``change`` with its messages atomically, to ``new`` when the order has no
        cases yet; a change that leaves ``new`` as it is stores nothing."""
        ...

    async def get(self, order_id: str) -> OrderCases | None: ...

    async def with_case(self, case_id: str) -> OrderCases | None:
        """The order's cases holding that case."""
        ...


@dataclass(frozen=True)
class Topics:
    """Where this deployment publishes (prefix included)."""

    cases: str
    refunds: str
