"""How the facts other services report move an order: one pure function per kind of fact."""

from dataclasses import replace
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from conveyor_contracts.erasure import PersonalDataErased
from conveyor_contracts.inventory import (
    ReservationEvent,
    StockBackordered,
    StockReserved,
    StockShortage,
)
from conveyor_contracts.shipping import ShipmentEvent
from conveyor_contracts.shipping.booking import (
    ShipmentBooked,
    ShipmentBookingFailed,
    ShipmentConfirmed,
    ShipmentRebooked,
)
from conveyor_contracts.shipping.tracking import (
    DeliveryAttemptFailed,
    ShipmentDelayed,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentInTransit,
    ShipmentLost,
    ShipmentReturnedToSender,
)
from conveyor_contracts.support import (
    RefundEvent,
    RefundRequested,
    ReturnAuthorised,
    SupportCaseEvent,
)
from orders.domain.order import (
    Delay,
    Order,
    OrderStatus,
    Scan,
    moved_to,
    parcels_status,
    with_parcel,
)

# Where a parcel ended that is the carrier's doing, not the seller's (kept on the order).
CARRIER_FAULTS = {OrderStatus.LOST: "lost", OrderStatus.RETURNED_TO_SENDER: "returned_to_sender"}
NO_CARRIER = "no_carrier_available"
STOCK_SHORTAGE = "stock_shortage"  # the seller's stock was not there


def on_reservation(order: Order, event: ReservationEvent, at: datetime) -> Order:
    """Inventory reserved, backordered or could not find the stock."""
    match event:
        case StockReserved(case_id=None):
            reserved = replace(
                order, expected_parcels=len(event.allocations), reservation_id=event.reservation_id
            )
            reserved = moved_to(reserved, OrderStatus.RESERVED, at, event.event_id)
            return _as_far_as_parcels(reserved, at, event.event_id)
        case StockReserved():
            # A reshipment support approved: its parcels stand in for the lost ones.
            reshipped = order.reshipped_parcels + len(event.allocations)
            return _as_far_as_parcels(
                replace(order, reshipped_parcels=reshipped), at, event.event_id
            )
        case StockBackordered():
            return moved_to(order, OrderStatus.BACKORDERED, at, event.event_id)
        case StockShortage() if order.status < OrderStatus.RESERVED:
            return closed(order, OrderStatus.REJECTED, at, event.event_id, STOCK_SHORTAGE)
        case StockShortage():
            # Already reserved once: this is a reshipment inventory cannot cover. The order
            # stays where its parcels are (lost, delivered); support's case on the shortage
            # decides what the buyer gets instead (a refund, another reshipment).
            return order
    return order  # released, committed, restocked: stock bookkeeping, no change of status


def _as_far_as_parcels(order: Order, at: datetime, cause: UUID) -> Order:
    """The order moved on to where its parcels are (their facts may have come first)."""
    implied = parcels_status(order)
    return order if implied is None else noted_delivery(moved_to(order, implied, at, cause), at)


def noted_delivery(order: Order, at: datetime) -> Order:
    """``order`` with its delivery instant once delivered: its last delivered parcel's scan
    (``at``, when handled, if no parcel says)."""
    if order.status is not OrderStatus.DELIVERED or order.delivered_at is not None:
        return order
    scans = [parcel.delivered_at for parcel in order.parcels if parcel.delivered_at is not None]
    return replace(order, delivered_at=max(scans, default=at))


def closed(order: Order, status: OrderStatus, at: datetime, cause: UUID, reason: str) -> Order:
    """``order`` rejected or cancelled for ``reason``, if it still could be; unchanged otherwise."""
    moved = moved_to(order, status, at, cause)
    return order if moved is order else replace(moved, closed_reason=reason)


def on_shipment(order: Order, event: ShipmentEvent, at: datetime) -> Order:
    """Shipping booked, dispatched or tracked one of the order's parcels."""
    whole = _whole_order_fact(order, event, at)
    if whole is not None:
        return whole
    progress = _parcel_progress(event)
    if progress is None or isinstance(event, PersonalDataErased):
        return order
    known = {p.shipment_id for p in order.parcels}
    if isinstance(event, ShipmentRebooked) and event.shipment_id not in known:
        return order  # a return pickup re-booked: not one of the order's outbound parcels
    order = with_parcel(order, event.shipment_id, *progress)
    fault = CARRIER_FAULTS.get(progress.status)
    if fault is not None and order.carrier_fault is None:
        order = replace(order, carrier_fault=fault)
    return _as_far_as_parcels(order, at, event.event_id)


def _whole_order_fact(order: Order, event: ShipmentEvent, at: datetime) -> Order | None:
    """The order after a fact of shipping's about the order rather than one parcel's progress;
    None for a parcel's progress."""
    match event:
        case ShipmentBookingFailed() if not order.status.before_pickup:
            return order  # a return pickup nobody would take: the order itself stands
        case ShipmentBookingFailed():
            cancelled = closed(order, OrderStatus.CANCELLED, at, event.event_id, NO_CARRIER)
            return cancelled if cancelled is order else replace(cancelled, carrier_fault=NO_CARRIER)
        case ShipmentDelivered(direction="return"):
            return moved_to(order, OrderStatus.RETURNED, at, event.event_id)
        case ShipmentDelayed():
            return on_delay(order, event)
    return None


def on_delay(order: Order, event: ShipmentDelayed) -> Order:
    """A parcel's forecast passed the promise: the order is delayed while on its way. The first
    forecast stands; another parcel's, or a redelivery, changes nothing the buyer sees."""
    if order.delay is not None:
        return order
    return replace(order, delay=Delay(event.forecast_delivery, event.promised_latest))


class _Progress(NamedTuple):
    status: OrderStatus
    carrier_code: str | None = None
    tracking_number: str | None = None
    reservation_id: str | None = None
    scan: Scan | None = None


def _parcel_progress(event: ShipmentEvent) -> _Progress | None:
    """How far a fact of shipping's takes one of the order's outbound parcels, if it does."""
    booked = _booking_progress(event)
    if booked is not None:
        return booked
    return _scan_progress(event)


def _booking_progress(event: ShipmentEvent) -> _Progress | None:
    """A booking's facts: the parcel's carrier, tracking number and reservation as they come."""
    match event:
        case ShipmentBooked():
            return _Progress(OrderStatus.BOOKED, event.carrier_code, None, event.reservation_id)
        case ShipmentRebooked():
            return _Progress(OrderStatus.BOOKED, event.carrier_code)
        case ShipmentConfirmed(direction="outbound"):
            return _Progress(OrderStatus.BOOKED, event.carrier_code, event.tracking_number)
        case ShipmentDispatched():
            return _Progress(
                OrderStatus.PICKED_UP,
                event.carrier_code,
                event.tracking_number,
                event.reservation_id,
                Scan(event.picked_up_at),
            )
    return None


def _scan_progress(event: ShipmentEvent) -> _Progress | None:
    """Where a carrier's scan puts an outbound parcel, and when the carrier had it."""
    match event:
        case ShipmentInTransit(direction="outbound", stage="out_for_delivery"):
            return _Progress(OrderStatus.OUT_FOR_DELIVERY, scan=Scan(event.scanned_at))
        case ShipmentInTransit(direction="outbound"):
            return _Progress(OrderStatus.PICKED_UP, scan=Scan(event.scanned_at))
        case DeliveryAttemptFailed(direction="outbound"):
            return _Progress(OrderStatus.DELIVERY_FAILED, scan=Scan(event.scanned_at))
        case ShipmentDelivered(direction="outbound"):
            return _Progress(OrderStatus.DELIVERED, scan=Scan(event.scanned_at, delivered=True))
        case ShipmentReturnedToSender(direction="outbound"):
            return _Progress(OrderStatus.RETURNED_TO_SENDER, scan=Scan(event.scanned_at))
        case ShipmentLost(direction="outbound"):
            return _Progress(OrderStatus.LOST, scan=Scan(event.scanned_at))
    return None  # returns, recalls, exceptions, SLA: the support service's business


def on_after_sales(order: Order, event: SupportCaseEvent | RefundEvent, at: datetime) -> Order:
    """Support authorised a return or asked for a refund; cases and reshipments move nothing
    here (a reshipment arrives as a reservation, a cancellation as its own request)."""
    match event:
        case ReturnAuthorised():
            return moved_to(order, OrderStatus.RETURN_REQUESTED, at, event.event_id)
        case RefundRequested():
            return moved_to(order, OrderStatus.REFUND_REQUESTED, at, event.event_id)
    return order
