"""An order's reservation: what was taken where, and how far it got."""

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from inventory.domain.allocation import Allocation, Sellers
from inventory.domain.warehouses import Warehouse


class ReservationStatus(enum.Enum):
    # PENDING: allocations are being taken; a redelivery of the event that claimed it (``claim``)
    # finds it and gives them back first.
    PENDING = "pending"
    RESERVED = "reserved"
    SHORT = "short"
    RELEASED = "released"
    # BACKORDERED: nothing held; waiting for receipts to cover the whole order until its deadline.
    BACKORDERED = "backordered"
    # DROPPED: the order was cancelled while backordered; nothing was held, nothing is reserved.
    DROPPED = "dropped"


@dataclass(frozen=True)
class Backorder:
    """What a backordered order waits for, and until when."""

    lines: tuple[tuple[str, int], ...]  # (sku, units), sorted by sku
    market: str
    since: datetime
    deadline: datetime
    cause: str  # event id of the OrderAccepted: the expiry's StockShortage id derives from it
    correlation_id: str
    short_lines: tuple[tuple[str, int, int], ...]  # (sku, requested, available) when backordered
    sellers: Sellers = ()  # the sellers the order's lines named, for the fill's allocations

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(sku for sku, _ in self.lines)


@dataclass(frozen=True)
class Reservation:
    order_id: str
    reservation_id: str
    status: ReservationStatus
    allocations: tuple[Allocation, ...] = ()
    committed: tuple[str, ...] = ()  # warehouse ids whose units left with the carrier
    backorder: Backorder | None = None
    claim: str | None = None  # event id of the attempt that set PENDING
    market: str | None = None  # the order's market; None on documents stored before it was kept
    case_id: str | None = None  # set on a reshipment's reservation (a support case approved it)
    returned: tuple[str, ...] = ()  # shipment ids of returned parcels already restocked

    @property
    def key(self) -> str:
        """Where it is stored: the order id, or for a reshipment its own key (an order has one
        reservation of its own and one per approved reshipment)."""
        return self.order_id if self.case_id is None else reshipment_key(self.reservation_id)

    @property
    def due_at(self) -> datetime | None:
        """When the timer must look at it: a backorder's deadline, and only while it waits."""
        if self.status is ReservationStatus.BACKORDERED and self.backorder is not None:
            return self.backorder.deadline
        return None

    @property
    def waiting_skus(self) -> tuple[str, ...]:
        """The SKUs whose receipts may fill it: set while backordered or being filled."""
        waiting = (ReservationStatus.BACKORDERED, ReservationStatus.PENDING)
        if self.backorder is None or self.status not in waiting:
            return ()
        return self.backorder.skus


# Transitions: pure, each takes the reservation as it is and a fact, and returns it as it becomes.
# ``claim`` is the event id of the attempt that plans and takes the allocations. A transition that
# does not apply returns the reservation unchanged: what is stored may have moved on since it was
# read (a cancellation, the expiry timer or another fill got there first).


def opened(
    order_id: str, reservation_id: str, market: str, case_id: str | None = None
) -> Reservation:
    """A reservation its cause is about to plan: pending, holding nothing yet."""
    return Reservation(
        order_id, reservation_id, ReservationStatus.PENDING, market=market, case_id=case_id
    )


def planned(
    reservation: Reservation,
    claim: str,
    allocations: tuple[Allocation, ...],
    market: str | None,
) -> Reservation:
    """The plan of the attempt ``claim``, recorded before its stock is taken. Over a reservation
    half-taken by an earlier attempt of the same cause it replaces that plan; the status stays."""
    return replace(reservation, allocations=allocations, claim=claim, market=market)


def held_by(reservation: Reservation, claim: str) -> bool:
    """Whether the attempt ``claim`` is the one taking it: pending under that claim."""
    return reservation.status is ReservationStatus.PENDING and reservation.claim == claim


def claimed(
    reservation: Reservation, claim: str, allocations: tuple[Allocation, ...]
) -> Reservation:
    """A fill about to take ``allocations`` claims a backorder for itself; only one still waiting
    can be claimed."""
    if reservation.status is not ReservationStatus.BACKORDERED:
        return reservation
    return replace(
        reservation, status=ReservationStatus.PENDING, allocations=allocations, claim=claim
    )


def unclaimed(reservation: Reservation, claim: str) -> Reservation:
    """The fill ``claim`` gave its holds back: the backorder waits again, unclaimed."""
    if not held_by(reservation, claim):
        return reservation
    return replace(reservation, status=ReservationStatus.BACKORDERED, allocations=(), claim=None)


def reserved(reservation: Reservation, claim: str) -> Reservation:
    """The attempt ``claim`` holds every allocation: its pending reservation is reserved."""
    if not held_by(reservation, claim):
        return reservation
    return replace(reservation, status=ReservationStatus.RESERVED)


def fell_short(reservation: Reservation) -> Reservation:
    """The market cannot cover it, and it will not wait: short, holding nothing."""
    return replace(reservation, status=ReservationStatus.SHORT, allocations=(), claim=None)


def backordered(reservation: Reservation, backorder: Backorder) -> Reservation:
    """The market cannot cover it yet: it holds nothing and waits for receipts, as ``backorder``
    says, until its deadline."""
    return replace(
        reservation,
        status=ReservationStatus.BACKORDERED,
        allocations=(),
        claim=None,
        backorder=backorder,
    )


def reservation_id_for(order_id: str) -> str:
    # Derived, not random: a redelivered OrderAccepted must find the same holds on stock documents.
    return "rsv_" + hashlib.sha256(order_id.encode()).hexdigest()[:32]


def reservation_id_for_case(case_id: str) -> str:
    # A reshipment's reservation, derived from its case: a redelivered ReshipmentApproved finds it.
    return "rsv_" + hashlib.sha256(f"case/{case_id}".encode()).hexdigest()[:32]


def reshipment_key(reservation_id: str) -> str:
    # "|" is not allowed in order ids, so a reshipment's key never collides with an order's.
    return f"reship|{reservation_id}"


def correlation_of(reservation: Reservation) -> str:
    """The correlation of the order's flow, for events no message of that flow caused (a receipt
    filling it, its deadline passing): the one it was backordered in, else the order id."""
    return reservation.backorder.correlation_id if reservation.backorder else reservation.order_id


def expired_by(reservation: Reservation | None, now: datetime) -> bool:
    """Whether it is a backorder whose bound passed by ``now``."""
    return (
        reservation is not None
        and reservation.status is ReservationStatus.BACKORDERED
        and reservation.backorder is not None
        and reservation.backorder.deadline <= now
    )


def market_of(reservation: Reservation, warehouses: tuple[Warehouse, ...]) -> str | None:
    """The order's market: as stored, else the backorder's, else that of the warehouses that
    reserved it (a warehouse ships only within its market); None when nothing tells."""
    if reservation.market is not None:
        return reservation.market
    if reservation.backorder is not None:
        return reservation.backorder.market
    markets = {w.warehouse_id: w.market for w in warehouses}
    for allocation in reservation.allocations:
        if allocation.warehouse_id in markets:
            return markets[allocation.warehouse_id]
    return None


def parcel_sellers(
    reservation: Reservation, warehouse_id: str, skus: Iterable[str], said: Mapping[str, str]
) -> Sellers:
    """Whose goods a parcel's lines from ``warehouse_id`` are: as reserved there (the stock's
    seller, else the order's), else as the message about the parcel ``said``; unknown ones left
    out."""
    reserved_by = {
        sku: seller
        for allocation in reservation.allocations
        if allocation.warehouse_id == warehouse_id
        for sku, seller in allocation.sellers
    }
    return tuple(
        (sku, seller)
        for sku in sorted(set(skus))
        if (seller := reserved_by.get(sku) or said.get(sku))
    )
