"""The order aggregate and its state machine: pure data and rules, no I/O."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum
from uuid import UUID


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


@dataclass(frozen=True)
class Parcel:
    """One shipment of the order (one per warehouse allocation) and how far it got."""

    shipment_id: str
    status: OrderStatus
    carrier_code: str | None = None
    tracking_number: str | None = None


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
    expected_parcels: int = 0
    parcels: tuple[Parcel, ...] = field(default=())
    applied: tuple[str, ...] = field(default=())  # ids of events already applied: redelivery no-op
    trace_id: str | None = None  # the trace of the order's placement, to find it in Jaeger

    @property
    def status_since(self) -> datetime:
        """When the order reached its current status."""
        return self.history[-1].at


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
) -> Order:
    """Record one parcel's progress; a parcel, like the order, never moves back."""
    parcels = {parcel.shipment_id: parcel for parcel in order.parcels}
    known = parcels.get(shipment_id, Parcel(shipment_id, OrderStatus.BOOKED))
    if carrier_code and carrier_code != known.carrier_code:
        known = replace(known, tracking_number=None)  # re-booked: the old number is void
    parcels[shipment_id] = Parcel(
        shipment_id,
        max(known.status, status),
        carrier_code or known.carrier_code,
        tracking_number or known.tracking_number,
    )
    return replace(order, parcels=tuple(parcels.values()))


def parcels_status(order: Order) -> OrderStatus | None:
    """The order is as far as its least advanced parcel, once every expected parcel is booked."""
    if not order.parcels or len(order.parcels) < order.expected_parcels:
        return None
    return min(parcel.status for parcel in order.parcels)
