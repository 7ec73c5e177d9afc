"""What the inventory use cases need from the outside world, as Protocols."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.reservation import Reservation
from inventory.domain.stock import StockLevel

Change = Callable[[Reservation], tuple[Reservation, list[OutboxMessage]]]


class StockStore(Protocol):
    """Stock per (sku, warehouse). Every move is conditional and idempotent per ``key``.

    The key (a reservation id, receipt id) is remembered on the stock document itself, so a
    redelivered move is a no-op even when the process died between two documents.
    """

    async def levels(self, sku: str) -> dict[str, StockLevel]:
        """Levels by warehouse id; empty when the SKU was never stocked."""
        ...

    async def reserve(self, warehouse_id: str, sku: str, units: int, key: str) -> bool:
        """Hold ``units`` if that many are available; True if held now or already held."""
        ...

    async def release(self, warehouse_id: str, sku: str, key: str) -> StockLevel | None:
        """Give back what ``key`` holds; None when it holds nothing here."""
        ...

    async def commit(self, warehouse_id: str, sku: str, key: str) -> StockLevel | None:
        """Ship what ``key`` holds (on_hand and reserved both drop); None if nothing held."""
        ...

    async def receive(self, warehouse_id: str, sku: str, units: int, key: str) -> StockLevel | None:
        """Add received units once per key; None when the key was already applied."""
        ...

    async def count(self, warehouse_id: str, sku: str, on_hand: int, key: str) -> StockLevel | None:
        """Set on_hand from a count once per key; None when the key was already applied."""
        ...


class ReservationRepository(Protocol):
    async def add(self, reservation: Reservation, events: Sequence[OutboxMessage]) -> bool:
        """Store a new reservation with its events; False when the order already has one."""
        ...

    async def update(self, order_id: str, change: Change) -> Reservation | None: ...

    async def get(self, order_id: str) -> Reservation | None: ...


@dataclass(frozen=True)
class Topics:
    reservations: str
    stock: str
