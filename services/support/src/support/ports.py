"""What the support use cases need from the outside world, as Protocols."""

from collections.abc import Callable, Sequence
from typing import Protocol

from conveyor_runtime.outlet import Cause, DomainChange
from support.domain.cases import OrderCases
from support.domain.events import SupportEvent
from support.domain.inbound_cases import InboundCase
from support.domain.timeline import Timeline

# Timelines emit nothing: a change is the new timeline alone.
TimelineChange = Callable[[Timeline], Timeline]
# Inbound cases emit nothing either: a change is the new case alone.
InboundCaseChange = Callable[[InboundCase], InboundCase]
# A change to an order's cases: the new cases and the domain events they emit (possibly none).
CasesChange = DomainChange[OrderCases, SupportEvent]


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
    async def add(self, cases: OrderCases, events: Sequence[SupportEvent], cause: Cause) -> bool:
        """Store an order's first cases with the events ``cause`` made them emit; False if the
        order has cases."""
        ...

    async def update(self, order_id: str, change: CasesChange, cause: Cause) -> OrderCases | None:
        """Apply ``change``, made by ``cause``, with its events atomically; None when the order
        has no cases."""
        ...

    async def upsert(
        self, order_id: str, change: CasesChange, new: OrderCases, cause: Cause
    ) -> OrderCases:
        """Apply ``change``, made by ``cause``, with its events atomically, to ``new`` when the
        order has no cases yet; a change that leaves ``new`` as it is stores nothing."""
        ...

    async def get(self, order_id: str) -> OrderCases | None: ...

    async def with_case(self, case_id: str) -> OrderCases | None:
        """The order's cases holding that case."""
        ...


class InboundCaseRepository(Protocol):
    """Sellers' cases about their inbound shipments, one per ASN (keyed by case id)."""

    async def update(self, case_id: str, change: InboundCaseChange) -> InboundCase | None:
        """Apply ``change`` atomically; None when there is no such case."""
        ...

    async def upsert(
        self, case_id: str, change: InboundCaseChange, new: InboundCase
    ) -> InboundCase:
        """Apply ``change`` atomically, storing ``new`` when there is no such case yet."""
        ...

    async def get(self, case_id: str) -> InboundCase | None: ...

    async def listed(self, seller_id: str | None, *, limit: int) -> Sequence[InboundCase]:
        """The newest cases first, of one seller or (None) of every seller."""
        ...
