"""What the shipping use cases need from the outside world, as Protocols."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.shipment import Fulfilment

# A change to one order's fulfilment: the new state and the messages it emits.
Change = Callable[[Fulfilment], tuple[Fulfilment, list[OutboxMessage]]]


class FulfilmentRepository(Protocol):
    async def add(self, fulfilment: Fulfilment, messages: Sequence[OutboxMessage]) -> bool:
        """Store a new fulfilment with its messages atomically; False if the order is known."""
        ...

    async def update(self, order_id: str, change: Change) -> Fulfilment | None:
        """Apply ``change`` atomically with its messages; None when the order is unknown."""
        ...

    async def upsert(self, order_id: str, change: Change, new: Fulfilment) -> Fulfilment:
        """Apply ``change`` atomically with its messages, to ``new`` when the order is unknown
        (its first fact); a change that leaves ``new`` as it is stores nothing."""
        ...

    async def get(self, order_id: str) -> Fulfilment | None: ...

    async def with_shipment(self, shipment_id: str) -> Fulfilment | None:
        """The fulfilment holding that shipment."""
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


@dataclass(frozen=True)
class Topics:
    """Where this deployment publishes (prefix included)."""

    shipments: str
    prefix: str  # carrier request topics are resolved per carrier: prefix + registry name
