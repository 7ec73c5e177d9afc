"""How the facts other services report move an order: one pure function per kind of fact."""

from dataclasses import replace
from datetime import datetime

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
from orders.domain.order import Order, OrderStatus, moved_to, parcels_status, with_parcel


def on_reservation(order: Order, event: ReservationEvent, at: datetime) -> Order:
    """Inventory reserved, backordered or could not find the stock."""
    match event:
        case StockReserved(case_id=None):
            reserved = replace(order, expected_parcels=len(event.allocations))
            return moved_to(reserved, OrderStatus.RESERVED, at, event.event_id)
        case StockReserved():
            # A reshipment support approved: its parcels replace the lost ones.
            kept = tuple(p for p in order.parcels if p.status is not OrderStatus.LOST)
            return replace(order, parcels=kept, expected_parcels=len(kept) + len(event.allocations))
        case StockBackordered():
            return moved_to(order, OrderStatus.BACKORDERED, at, event.event_id)
        case StockShortage():
            return moved_to(order, OrderStatus.REJECTED, at, event.event_id)
    return order  # released, committed, restocked: stock bookkeeping, no change of status


def on_shipment(order: Order, event: ShipmentEvent, at: datetime) -> Order:
    """Shipping booked, dispatched or tracked one of the order's parcels."""
    if isinstance(event, ShipmentBookingFailed):
        if not order.status.before_pickup:
            return order  # a return pickup nobody would take: the order itself stands
        return moved_to(order, OrderStatus.CANCELLED, at, event.event_id)
    if isinstance(event, ShipmentDelivered) and event.direction == "return":
        return moved_to(order, OrderStatus.RETURNED, at, event.event_id)
    parcel = _parcel_progress(event)
    if parcel is None:
        return order
    status, carrier_code, tracking_number = parcel
    known = {p.shipment_id for p in order.parcels}
    if isinstance(event, ShipmentRebooked) and event.shipment_id not in known:
        return order  # a return pickup re-booked: not one of the order's outbound parcels
    order = with_parcel(order, event.shipment_id, status, carrier_code, tracking_number)
    implied = parcels_status(order)
    return order if implied is None else moved_to(order, implied, at, event.event_id)


def _parcel_progress(event: ShipmentEvent) -> tuple[OrderStatus, str | None, str | None] | None:
    match event:
        case ShipmentBooked() | ShipmentRebooked():
            return OrderStatus.BOOKED, event.carrier_code, None
        case ShipmentConfirmed(direction="outbound"):
            return OrderStatus.BOOKED, event.carrier_code, event.tracking_number
        case ShipmentDispatched():
            return OrderStatus.PICKED_UP, event.carrier_code, event.tracking_number
        case ShipmentInTransit(direction="outbound", stage="out_for_delivery"):
            return OrderStatus.OUT_FOR_DELIVERY, None, None
        case ShipmentInTransit(direction="outbound"):
            return OrderStatus.PICKED_UP, None, None
        case DeliveryAttemptFailed(direction="outbound"):
            return OrderStatus.DELIVERY_FAILED, None, None
        case ShipmentDelivered(direction="outbound"):
            return OrderStatus.DELIVERED, None, None
        case ShipmentReturnedToSender(direction="outbound"):
            return OrderStatus.RETURNED_TO_SENDER, None, None
        case ShipmentLost(direction="outbound"):
            return OrderStatus.LOST, None, None
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
