"""The order aggregate and its state machine: pure data and rules, no I/O."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import IntEnum
from uuid import UUID

from orders.domain.promise import Window


class OrderStatus(IntEnum):
    """Where an order is. The value is its progress: an order never moves to a lower one.

    Terminal statuses rank highest so that nothing late (a stray scan, a redelivered reservation)
    can move an order out of them. Lost ranks below delivered: a reshipment may still arrive.
    """

    ACCEPTED = 10
    BACKORDERED = 20
    RESERVED = 30
    BOOKED = 40
    PICKED_UP = 50
    OUT_FOR_DELIVERY = 60
    DELIVERY_FAILED = 65
    LOST = 68  # below delivered: a reshipment can still deliver the order
    DELIVERED = 70
    RETURN_REQUESTED = 72  # after-sales: a return was authorised
    RETURNED = 74  # ...and the parcel is back at the warehouse
    RETURNED_TO_SENDER = 78
    REFUND_REQUESTED = 82  # the last word of after-sales, whatever led to it
    REJECTED = 90
    CANCELLED = 95

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def is_final(self) -> bool:
        return self >= OrderStatus.DELIVERED

    @property
    def before_pickup(self) -> bool:
        return self < OrderStatus.PICKED_UP


# What the shop shows the buyer for each internal status (the contracts' PublicStatus).
PUBLIC_STATUS: dict[OrderStatus, str] = {
    OrderStatus.ACCEPTED: "accepted",
    OrderStatus.BACKORDERED: "backordered",
    OrderStatus.RESERVED: "awaiting_pickup",
    OrderStatus.BOOKED: "awaiting_pickup",
    OrderStatus.PICKED_UP: "shipped",
    OrderStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    OrderStatus.DELIVERY_FAILED: "delivery_failed",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.RETURN_REQUESTED: "return_in_progress",
    OrderStatus.RETURNED: "returned",
    OrderStatus.REFUND_REQUESTED: "refund_requested",
    OrderStatus.RETURNED_TO_SENDER: "returned",
    OrderStatus.LOST: "lost",
    OrderStatus.REJECTED: "rejected",
    OrderStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class StatusChange:
    """One dated entry of an order's history, with the event that caused it."""

    status: OrderStatus
    at: datetime
    event_id: UUID


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_minor: int
    seller_id: str | None = None  # absent from checkouts older than sellers


@dataclass(frozen=True)
class Parcel:
    """One shipment of the order (one per warehouse allocation) and how far it got."""

    shipment_id: str
    status: OrderStatus
    carrier_code: str | None = None
    tracking_number: str | None = None
    reservation_id: str | None = None  # whose lines it carries: the order's own, or a reshipment's
    # Stored since seller scorecards; absent (None) on parcels stored before them.
    picked_up_at: datetime | None = None  # the carrier's pickup scan (or its first scan seen)
    delivered_at: datetime | None = None  # the carrier's delivery scan
    scanned_tracking: str | None = None  # the tracking number a carrier scan was seen for


@dataclass(frozen=True)
class Scan:
    """A carrier's scan of an outbound parcel: the carrier had it at ``at``."""

    at: datetime
    delivered: bool = False


@dataclass(frozen=True)
class Delay:
    """Shipping's forecast that a parcel arrives after the promised window's last day."""

    forecast_delivery: date
    promised_latest: date


@dataclass(frozen=True)
class Order:
    """An order as the orders service knows it; changed only through the repository's update."""

    order_id: str
    market: str
    currency: str
    lines: tuple[OrderLine, ...]
    status: OrderStatus
    history: tuple[StatusChange, ...]
    placed_event_id: UUID
    content_hash: str
    expected_parcels: int = 0  # one per warehouse of the order's own reservation
    parcels: tuple[Parcel, ...] = field(default=())
    reservation_id: str | None = None  # the order's own reservation (not a reshipment's)
    reshipped_parcels: int = 0  # one per warehouse of the reshipments support approved
    applied: tuple[str, ...] = field(default=())  # ids of events already applied: redelivery no-op
    trace_id: str | None = None  # the trace of the order's placement, to find it in Jaeger
    dispatch_by: datetime | None = None  # set once at acceptance, never moved
    promised_delivery: Window | None = None  # set once at acceptance, never moved
    delay: Delay | None = None  # the first forecast past the promise shipping told
    # Stored since seller scorecards; absent (None) on orders stored before them.
    delivered_at: datetime | None = None  # when the last parcel needed was delivered
    closed_reason: str | None = None  # why it was rejected or cancelled after acceptance
    carrier_fault: str | None = None  # lost, returned_to_sender or no_carrier_available

    @property
    def status_since(self) -> datetime:
        """When the order reached its current status."""
        return self.history[-1].at

    @property
    def accepted_at(self) -> datetime | None:
        """When the order was accepted; None for one rejected as placed."""
        return next((c.at for c in self.history if c.status is OrderStatus.ACCEPTED), None)


def moved_to(order: Order, status: OrderStatus, at: datetime, cause: UUID) -> Order:
    """``order`` at ``status``, if that is progress; unchanged otherwise (monotonic)."""
    if status <= order.status:
        return order
    return replace(order, status=status, history=(*order.history, StatusChange(status, at, cause)))


def with_parcel(
    order: Order,
    shipment_id: str,
    status: OrderStatus,
    carrier_code: str | None = None,
    tracking_number: str | None = None,
    reservation_id: str | None = None,
    scan: Scan | None = None,
) -> Order:
    """Record one parcel's progress; a parcel, like the order, never moves back."""
    parcels = {parcel.shipment_id: parcel for parcel in order.parcels}
    known = parcels.get(shipment_id, Parcel(shipment_id, OrderStatus.BOOKED))
    if carrier_code and carrier_code != known.carrier_code:
        # Re-booked: the old number is void, and so is any scan of it.
        known = replace(known, tracking_number=None, scanned_tracking=None)
    parcel = replace(
        known,
        status=max(known.status, status),
        carrier_code=carrier_code or known.carrier_code,
        tracking_number=tracking_number or known.tracking_number,
        reservation_id=reservation_id or known.reservation_id,
    )
    parcels[shipment_id] = parcel if scan is None else scanned(parcel, scan)
    return replace(order, parcels=tuple(parcels.values()))


def scanned(parcel: Parcel, scan: Scan) -> Parcel:
    """``parcel`` after a carrier scan: picked up by then at the latest (the pickup scan, the
    earliest, wins whatever order the scans come in), its tracking number seen by the carrier,
    and delivered at the scan when it is the delivery."""
    picked = scan.at if parcel.picked_up_at is None else min(parcel.picked_up_at, scan.at)
    delivered = parcel.delivered_at
    if scan.delivered:
        delivered = scan.at if delivered is None else min(delivered, scan.at)
    return replace(
        parcel,
        picked_up_at=picked,
        delivered_at=delivered,
        scanned_tracking=parcel.tracking_number or parcel.scanned_tracking,
    )


def parcels_status(order: Order) -> OrderStatus | None:
    """How far the parcels take the order; None until they are all known.

    The order is as far as its least advanced parcel, once every parcel of its reservation is
    booked (before inventory's answer arrives, the number of parcels is unknown: facts of one
    parcel cannot stand for the order). A reshipment's parcels stand in for the lost ones once
    they are all booked: the order is then at least as far as the least advanced of them and of
    the order's parcels not lost. Both readings only grow as facts arrive, whatever their order,
    so the order ends where the facts in time order take it.
    """
    own, reshipped = _own_and_reshipped(order)
    readings = (_own_reading(order, own), _reshipped_reading(order, own, reshipped))
    return max((status for status in readings if status is not None), default=None)


def _own_and_reshipped(order: Order) -> tuple[tuple[Parcel, ...], tuple[Parcel, ...]]:
    """The order's parcels: those of its own reservation, and those of its reshipments."""
    own = tuple(parcel for parcel in order.parcels if not _reshipped(order, parcel))
    reshipped = tuple(parcel for parcel in order.parcels if _reshipped(order, parcel))
    return own, reshipped


def _own_reading(order: Order, own: tuple[Parcel, ...]) -> OrderStatus | None:
    """As far as the least advanced of the order's own parcels, once they are all known."""
    if not _all_known(own, order.expected_parcels):
        return None
    return min(parcel.status for parcel in own)


def _reshipped_reading(
    order: Order, own: tuple[Parcel, ...], reshipped: tuple[Parcel, ...]
) -> OrderStatus | None:
    """As far as the least advanced of the reshipment's parcels and of the order's own parcels
    not lost, once the reshipment's parcels are all known: they stand in for the lost ones."""
    if not _all_known(reshipped, order.reshipped_parcels):
        return None
    standing = (*(parcel for parcel in own if parcel.status is not OrderStatus.LOST), *reshipped)
    return min(parcel.status for parcel in standing)


def _all_known(parcels: tuple[Parcel, ...], expected: int) -> bool:
    """Whether every parcel expected is known. With none expected the number is not known yet
    (inventory has not answered, or nothing was reshipped): the parcels known stand for nothing."""
    return expected > 0 and len(parcels) >= expected


def _reshipped(order: Order, parcel: Parcel) -> bool:
    """Whether the parcel carries a reshipment's lines. A parcel of unknown reservation (its
    booking not seen yet) counts as the order's own, which it is unless a reshipment exists."""
    return parcel.reservation_id is not None and parcel.reservation_id != order.reservation_id


def cancelled_after_pickup(order: Order) -> bool:
    """Cancelled before orders heard of the pickup: a parcel was collected all the same (the
    carrier scanned it before shipping could cancel the booking), so shipping recalls it."""
    return order.status is OrderStatus.CANCELLED and any(
        not parcel.status.before_pickup for parcel in order.parcels
    )


# Where an order is on its way to the buyer: a forecast past the promise shows it delayed.
ON_ITS_WAY = frozenset(
    {
        OrderStatus.BOOKED,
        OrderStatus.PICKED_UP,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERY_FAILED,
    }
)


def shown_delayed(order: Order) -> bool:
    """Whether the buyer sees the order delayed: on its way, with a forecast past the promise."""
    return order.delay is not None and order.status in ON_ITS_WAY


def public_status(order: Order) -> str:
    """What the shop shows the buyer of the order's status."""
    return "delayed" if shown_delayed(order) else PUBLIC_STATUS[order.status]


def status_note(order: Order) -> str | None:
    """What the buyer is told besides the status, when the status alone would mislead."""
    if cancelled_after_pickup(order):
        return "collected before the cancellation; on its way back to the warehouse"
    if order.delay is not None and shown_delayed(order):
        delay = order.delay
        return (
            f"now expected on {delay.forecast_delivery.isoformat()},"
            f" after the promised {delay.promised_latest.isoformat()}"
        )
    return None
