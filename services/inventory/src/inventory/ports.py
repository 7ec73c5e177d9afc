"""What the inventory use cases need from the outside world, as Protocols."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.reservation import Reservation
from inventory.domain.stock import StockLevel, StockMove

Change = Callable[[Reservation], tuple[Reservation, list[OutboxMessage]]]
# The events one applied stock move emits; written in the same update as the move.
StockEmit = Callable[[StockMove], list[OutboxMessage]]


def no_events(_: StockMove) -> list[OutboxMessage]:
    return []


class StockStore(Protocol):
    """Stock per (sku, warehouse). Every move is conditional and idempotent per ``key``.

    The key (a reservation id, receipt id) is remembered on the stock document itself, so a
    redelivered move is a no-op even when the process died between two documents. A move that
    changes the level writes what ``emit`` returns into the stock document's outbox, in the same
    update; a move already applied emits nothing.
    """

    async def levels(self, sku: str) -> dict[str, StockLevel]:
        """Levels by warehouse id; empty when the SKU was never stocked."""
        ...

    async def levels_in(
        self, warehouse_ids: Iterable[str], skus: Iterable[str]
    ) -> dict[tuple[str, str], StockLevel]:
        """Levels by (warehouse id, sku) of those warehouses and SKUs, in one lookup; a pair
        never stocked is absent."""
        ...

    async def reserve(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit = no_events
    ) -> bool:
        """Hold ``units`` if that many are available; True if held now or already held."""
        ...

    async def release(
        self,
        warehouse_id: str,
        sku: str,
        key: str,
        emit: StockEmit = no_events,
        *,
        may_ship: bool = False,
    ) -> StockLevel | None:
        """Give back what ``key`` holds; None when it holds nothing here. ``may_ship``: its
        parcel may have left already, so a later ``ship`` of the key still takes the units."""
        ...

    async def ship(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit = no_events
    ) -> StockLevel | None:
        """The carrier took ``key``'s units: its hold leaves the shelf (on_hand and reserved
        drop), or, when the hold was given back before, ``units`` leave on_hand once; None when
        they already left."""
        ...

    async def receive(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit = no_events
    ) -> StockLevel | None:
        """Add received units once per key; None when the key was already applied."""
        ...

    async def count(
        self, warehouse_id: str, sku: str, on_hand: int, key: str, emit: StockEmit = no_events
    ) -> StockLevel | None:
        """Set on_hand from a count once per key; None when the key was already applied."""
        ...


class ReservationRepository(Protocol):
    """Reservations by ``Reservation.key``: the order id for an order's own reservation,
    ``reshipment_key(reservation_id)`` for a reshipment's."""

    async def add(self, reservation: Reservation, events: Sequence[OutboxMessage]) -> bool:
        """Store a new reservation with its events; False when its key is taken."""
        ...

    async def update(self, key: str, change: Change) -> Reservation | None: ...

    async def get(self, key: str) -> Reservation | None: ...

    async def waiting_for(self, sku: str) -> list[Reservation]:
        """Backordered (or being filled) reservations that need ``sku``, oldest first."""
        ...


@dataclass(frozen=True)
class Topics:
    reservations: str
    stock: str
