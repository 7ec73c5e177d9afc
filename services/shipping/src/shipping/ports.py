"""What the shipping use cases need from the outside world, as Protocols."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from conveyor_runtime.outlet import Cause, DomainChange
from shipping.domain.events import ShippingEvent
from shipping.domain.shipment import Fulfilment

# A change to one order's fulfilment: the new state and the domain events it emits.
Change = DomainChange[Fulfilment, ShippingEvent]


class FulfilmentRepository(Protocol):
    """An order's fulfilment and what it emits, stored together. What it emits carries the
    order's correlation id, whatever the cause's."""

    async def add(
        self, fulfilment: Fulfilment, events: Sequence[ShippingEvent], cause: Cause
    ) -> bool:
        """Store a new fulfilment with the events ``cause`` made it emit, atomically; False if
        the order is known."""
        ...

    async def update(self, order_id: str, change: Change, cause: Cause) -> Fulfilment | None:
        """Apply ``change``, made by ``cause``, atomically with its events; None when the order
        is unknown."""
        ...

    async def upsert(
        self, order_id: str, change: Change, new: Fulfilment, cause: Cause
    ) -> Fulfilment:
        """Apply ``change``, made by ``cause``, atomically with its events, to ``new`` when the
        order is unknown (its first fact); a change that leaves ``new`` as it is stores
        nothing."""
        ...

    async def get(self, order_id: str) -> Fulfilment | None: ...

    async def with_shipment(self, shipment_id: str) -> Fulfilment | None:
        """The fulfilment holding that shipment."""
        ...

    async def active_since(self, since: datetime) -> list[Fulfilment]:
        """Fulfilments with a carrier asked, a request declined or a scan at or after ``since``
        (what the carriers' scorecards count), without their order details."""
        ...


class CarrierCapacity(Protocol):
    async def claim(self, carrier_code: str, day: date, shipment_id: str, limit: int) -> bool:
        """Take one of the carrier's ``limit`` pickups that day for the shipment; idempotent per
        shipment, so a retried booking does not take two. False when the day is full."""
        ...

    async def release(self, carrier_code: str, day: date, shipment_id: str) -> None:
        """Give back the shipment's pickup that day, if it holds one; idempotent, so a repeated
        release frees nothing more."""
        ...
