"""What the inventory use cases need from the outside world, as Protocols."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conveyor_runtime.outlet import Cause, DomainChange
from inventory.domain.events import (
    InboundEvent,
    ReservationEvent,
    StockCause,
    StockEvent,
    stock_changes,
)
from inventory.domain.inbound import Asn
from inventory.domain.reservation import Reservation
from inventory.domain.stock import Shelf, StockLevel, StockMove

# A change to one reservation: the new reservation and the domain events it emits (maybe none).
Change = DomainChange[Reservation, ReservationEvent]
# A change to one inbound shipment (ASN): the new ASN and its events.
AsnChange = DomainChange[Asn, InboundEvent]


@dataclass(frozen=True)
class StockEmit:
    """What the stock moves of one cause emit: each applied move's events (``stock_changes`` of
    this kind of move, against the low-stock threshold), made by ``cause``."""

    cause: Cause
    kind: StockCause
    low_stock_threshold: int

    def events(self, move: StockMove) -> list[StockEvent]:
        return stock_changes(move, self.kind, self.low_stock_threshold)


class StockStore(Protocol):
    """Stock per (sku, warehouse). Every move is conditional and idempotent per ``key``.

    The key (a reservation id, receipt id) is remembered on the stock document itself, so a
    redelivered move is a no-op even when the process died between two documents. A move that
    changes the level writes the events ``emit`` says it emits into the stock document's outbox, in
    the same update; a move already applied (or one given no ``emit``) emits nothing.
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

    async def shelves(self, sku: str) -> dict[str, Shelf]:
        """Levels and sellers by warehouse id; empty when the SKU was never stocked."""
        ...

    async def shelves_in(
        self, warehouse_ids: Iterable[str], skus: Iterable[str]
    ) -> dict[tuple[str, str], Shelf]:
        """As ``levels_in``, with each stock's seller."""
        ...

    async def of_seller(self, seller_id: str) -> dict[tuple[str, str], Shelf]:
        """Levels by (warehouse id, sku) of the stock recorded as ``seller_id``'s."""
        ...

    async def reserve(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> bool:
        """Hold ``units`` if that many are available; True if held now or already held."""
        ...

    async def release(
        self,
        warehouse_id: str,
        sku: str,
        key: str,
        emit: StockEmit | None = None,
        *,
        may_ship: bool = False,
    ) -> StockLevel | None:
        """Give back what ``key`` holds; None when it holds nothing here. ``may_ship``: its
        parcel may have left already, so a later ``ship`` of the key still takes the units."""
        ...

    async def ship(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> StockLevel | None:
        """The carrier took ``key``'s units: its hold leaves the shelf (on_hand and reserved
        drop), or, when the hold was given back before, ``units`` leave on_hand once; None when
        they already left."""
        ...

    async def receive(
        self,
        warehouse_id: str,
        sku: str,
        units: int,
        key: str,
        emit: StockEmit | None = None,
        *,
        seller_id: str | None = None,
    ) -> StockLevel | None:
        """Add received units once per key; None when the key was already applied. A receipt
        naming its seller records it on the stock (``StockRecord.receive``): SellerConflictError,
        and nothing moves, when the stock is another seller's."""
        ...

    async def count(
        self, warehouse_id: str, sku: str, on_hand: int, key: str, emit: StockEmit | None = None
    ) -> StockLevel | None:
        """Set on_hand from a count once per key; None when the key was already applied."""
        ...


class ReservationRepository(Protocol):
    """Reservations by ``Reservation.key``: the order id for an order's own reservation,
    ``reshipment_key(reservation_id)`` for a reshipment's."""

    async def add(
        self, reservation: Reservation, events: Sequence[ReservationEvent], cause: Cause
    ) -> bool:
        """Store a new reservation with the events ``cause`` made it emit; False when its key is
        taken."""
        ...

    async def update(self, key: str, change: Change, cause: Cause) -> Reservation | None:
        """Apply ``change``, made by ``cause``, atomically with its events; None when there is
        no such reservation. A cause with no correlation id (a deadline, a receipt filling a
        backorder) takes the order's (``correlation_of``)."""
        ...

    async def get(self, key: str) -> Reservation | None: ...

    async def waiting_for(self, sku: str) -> list[Reservation]:
        """Backordered (or being filled) reservations that need ``sku``, oldest first."""
        ...


class InboundRepository(Protocol):
    """Sellers' inbound shipments by ASN id, each written with the events it emits."""

    async def add(self, asn: Asn, events: Sequence[InboundEvent], cause: Cause) -> bool:
        """Store a new ASN with its events; False when its id is taken."""
        ...

    async def update(self, asn_id: str, change: AsnChange, cause: Cause) -> Asn | None:
        """Apply ``change`` atomically with its events; None when there is no such ASN."""
        ...

    async def get(self, asn_id: str) -> Asn | None: ...

    async def of_seller(self, seller_id: str) -> list[Asn]:
        """The seller's ASNs, oldest announced first."""
        ...
