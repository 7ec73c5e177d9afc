"""What the order's own facts make of its fulfilment: its details, its reserved stock, a return
to collect, its cancellation. Pure rules; booking is ``booking``'s, once these leave a shipment
waiting for a carrier.
"""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.support import ReturnAuthorised
from shipping.domain.events import (
    Cancelled,
    CarrierLetGo,
    RecallAsked,
    RecallRequested,
    ShippingEvent,
    already_applied,
    remembered,
)
from shipping.domain.shipment import (
    Fulfilment,
    Line,
    OrderDetails,
    ReturnPickup,
    Shipment,
    ShipmentStatus,
    return_shipment_id_for,
    shipment_id_for,
)

Outcome = tuple[Fulfilment, list[ShippingEvent]]


def details_of(event: OrderAccepted) -> OrderDetails:
    """What shipping keeps of the accepted order to book its parcels."""
    return OrderDetails(
        market=event.market,
        currency=event.currency,
        service_level=event.service_level,
        ship_to=event.ship_to,
        recipient=event.recipient,
        unit_prices={line.sku: line.unit_price.amount_minor for line in event.lines},
        accepted_at=event.occurred_at,
        promised_delivery=event.promised_delivery,
        dispatch_by=event.dispatch_by,
    )


def on_order_accepted(fulfilment: Fulfilment, details: OrderDetails) -> Outcome:
    """The order's details, kept as first received."""
    if fulfilment.details is not None:
        return fulfilment, []
    return replace(fulfilment, details=details), []


def on_stock_reserved(fulfilment: Fulfilment, event: StockReserved, now: datetime) -> Outcome:
    """One shipment per reserved warehouse, waiting for a carrier since ``now``, unless the
    order is cancelled (a reservation after the cancellation books nothing) or it is known."""
    if already_applied(fulfilment, event.event_id) or fulfilment.cancelled:
        return fulfilment, []
    for allocation in event.allocations:
        shipment_id = shipment_id_for(event.reservation_id, allocation.warehouse_id)
        if fulfilment.shipment(shipment_id) is None:
            fulfilment = fulfilment.with_shipment(
                Shipment(
                    shipment_id=shipment_id,
                    reservation_id=event.reservation_id,
                    warehouse_id=allocation.warehouse_id,
                    lines=tuple(
                        Line(line.sku, line.quantity, line.seller_id) for line in allocation.lines
                    ),
                    cause=str(event.event_id),
                    awaiting_since=now,
                )
            )
    return remembered(fulfilment, event.event_id), []


def return_pickup(event: ReturnAuthorised, now: datetime) -> Shipment:
    """The return to collect from the buyer for the warehouse, waiting for a carrier."""
    return Shipment(
        shipment_id=return_shipment_id_for(event.rma_id),
        reservation_id=None,
        warehouse_id=event.return_to,
        lines=tuple(Line(line.sku, line.quantity) for line in event.lines),
        returning=ReturnPickup(
            rma_id=event.rma_id,
            collect_from=event.collect_from,
            sender=event.sender,
            collect_by=datetime.combine(event.expires_on, time(23, 59, 59), tzinfo=UTC),
        ),
        cause=str(event.event_id),
        awaiting_since=now,
    )


def on_return_authorised(fulfilment: Fulfilment, cause: uuid.UUID, pickup: Shipment) -> Outcome:
    """The return to collect added, once."""
    if already_applied(fulfilment, cause) or fulfilment.shipment(pickup.shipment_id):
        return fulfilment, []
    return remembered(fulfilment.with_shipment(pickup), cause), []


def on_order_cancelled(fulfilment: Fulfilment, cause: uuid.UUID) -> Outcome:
    """Bookings not yet collected cancelled, parcels already on their way recalled."""
    if already_applied(fulfilment, cause):
        return fulfilment, []
    events: list[ShippingEvent] = []
    for shipment in fulfilment.shipments:
        if shipment.returning:
            continue  # a return belongs to an order delivered, not to one being cancelled
        if shipment.status.before_pickup:
            after, told = _cancelled(fulfilment.order_id, shipment)
        elif shipment.status.in_flight and not shipment.recall_requested:
            after, told = _recalled(fulfilment.order_id, shipment)
        else:
            continue
        fulfilment = fulfilment.with_shipment(after)
        events += told
    return remembered(replace(fulfilment, cancelled=True), cause), events


def _cancelled(order_id: str, shipment: Shipment) -> tuple[Shipment, list[ShippingEvent]]:
    cancelled = replace(shipment, status=ShipmentStatus.CANCELLED)
    events: list[ShippingEvent] = []
    if shipment.carrier_code is not None:
        events.append(CarrierLetGo(order_id, cancelled, shipment.carrier_code, "order_cancelled"))
    events.append(Cancelled(order_id, cancelled, "order_cancelled"))
    return cancelled, events


def _recalled(order_id: str, shipment: Shipment) -> tuple[Shipment, list[ShippingEvent]]:
    assert shipment.carrier_code  # set at booking
    assert shipment.tracking_number  # set at acceptance
    recalled = replace(shipment, recall_requested=True)
    return recalled, [RecallAsked(order_id, recalled), RecallRequested(order_id, recalled)]
