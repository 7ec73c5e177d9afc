"""The shipping domain's events on the wire: the contract event, topic and key of each.

Every event is keyed by its order. Events about a shipment are named by it in their derived
ids (``<shipment_id>/<EventType>``), commands to a carrier by the shipment and that carrier
(``<shipment_id>/<carrier_code>/<EventType>``): one cause may tell of several shipments and
speak to several carriers.
"""

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from conveyor_contracts.carriers.requests import (
    BookReturnPickup,
    BookShipment,
    CancelShipmentBooking,
    RecallShipment,
)
from conveyor_contracts.envelope import Envelope
from conveyor_contracts.shipping import (
    DeliveryAttemptFailed,
    DeliverySlaBreached,
    ReturnPickedUp,
    ReturnPickupBooked,
    ShipmentBooked,
    ShipmentBookingFailed,
    ShipmentCancelled,
    ShipmentConfirmed,
    ShipmentDelayed,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentExceptionRaised,
    ShipmentInTransit,
    ShipmentLost,
    ShipmentRebooked,
    ShipmentRecallRequested,
    ShipmentReturnedToSender,
    ShippingPersonalDataErased,
)
from conveyor_contracts.topics import SHIPPING_SHIPMENTS, carrier_requests_topic
from conveyor_runtime.outbox import derived_event_id
from conveyor_runtime.outlet import Outlet, Wired
from shipping.domain.events import (
    Booked,
    BookingFailed,
    Cancelled,
    CarrierAsked,
    CarrierLetGo,
    CarrierSilent,
    Collected,
    Confirmed,
    DeadlinePassed,
    Delayed,
    PersonalDataErased,
    PromiseMissed,
    Rebooked,
    RecallAsked,
    RecallRequested,
    ScanReported,
    ShippingEvent,
)
from shipping.domain.shipment import Scan, Shipment

BookingEvent = Booked | Rebooked | BookingFailed | Confirmed | Cancelled | RecallRequested
TrackingEvent = Collected | ScanReported | PromiseMissed | Delayed | CarrierSilent
CarrierEvent = CarrierAsked | CarrierLetGo | RecallAsked
AFTER_PICKUP = timedelta(days=1)  # asked of a carrier when the buyer's promise is already past
# A contract event's type and its fields besides the envelope, the order and the shipment.
Told = tuple[type[Envelope], dict[str, Any]]


def wired(event: ShippingEvent) -> Wired:
    match event:
        case CarrierAsked() | CarrierLetGo() | RecallAsked():
            return _to_carrier(event)
        case (
            Booked() | Rebooked() | BookingFailed() | Confirmed() | Cancelled() | RecallRequested()
        ):
            return _told(event, *_booking(event))
        case Collected() | ScanReported() | PromiseMissed() | Delayed() | CarrierSilent():
            return _told(event, *_tracking(event))
        case PersonalDataErased(order_id=order_id, request=request):
            # The confirmation the request waited for: its id derives from the request.
            cause = uuid.UUID(request.event_id)
            fields = {"order_id": order_id, "erasure_id": request.erasure_id}
            return Wired(
                ShippingPersonalDataErased,
                SHIPPING_SHIPMENTS,
                order_id,
                {**fields, "deferred": event.deferred},
                event_id=derived_event_id(cause, ShippingPersonalDataErased.__name__),
                caused_by=cause,
            )
        case DeadlinePassed(passing=passing, event=told):
            # Caused by the deadline's passing, whichever run of the timer noticed it.
            inner = wired(told)
            return replace(inner, event_id=derived_event_id(passing, inner.name), caused_by=passing)


def _to_carrier(event: CarrierEvent) -> Wired:
    shipment = event.shipment
    match event:
        case CarrierAsked():
            assert shipment.carrier_code is not None  # as booked
            return _command(event, shipment.carrier_code, *_asked(event))
        case CarrierLetGo(carrier_code=code, reason=reason):
            return _command(event, code, CancelShipmentBooking, {"reason": reason})
        case RecallAsked():
            tracking = {"tracking_number": shipment.tracking_number}
            return _command(event, shipment.carrier_code or "", RecallShipment, tracking)


def _asked(event: CarrierAsked) -> Told:
    shipment, details = event.shipment, event.details
    collection = {
        "parcels": event.parcels,
        "pickup_by": shipment.pickup_by,
        "deliver_by": _asked_to_deliver_by(shipment),
    }
    if shipment.returning:
        return BookReturnPickup, {
            "rma_id": shipment.returning.rma_id,
            "collect_from": shipment.returning.collect_from,
            "sender": shipment.returning.sender,
            "deliver_to": event.site,
            **collection,
        }
    return BookShipment, {
        "service_level": details.service_level,
        "pickup_from": event.site,
        "deliver_to": details.ship_to,
        "recipient": details.recipient,
        **collection,
    }


def _booking(event: BookingEvent) -> Told:
    shipment = event.shipment
    match event:
        case Booked() if shipment.returning:
            return ReturnPickupBooked, {
                "rma_id": shipment.returning.rma_id,
                "warehouse_id": shipment.warehouse_id,
                **_deadlines(shipment),
            }
        case Booked():
            return ShipmentBooked, {
                "reservation_id": shipment.reservation_id,
                "warehouse_id": shipment.warehouse_id,
                "service_level": event.service_level,
                "lines": _lines(shipment),
                **_deadlines(shipment),
            }
        case Rebooked(previous_carrier_code=previous, reason=reason):
            return ShipmentRebooked, {
                "previous_carrier_code": previous,
                "reason": reason,
                **_deadlines(shipment),
            }
        case BookingFailed(reason=reason):
            return ShipmentBookingFailed, {
                "reason": reason,
                "carriers_tried": shipment.carriers_tried,
            }
        case Confirmed(estimated_delivery=estimated_delivery):
            return ShipmentConfirmed, {
                "direction": shipment.direction,
                **_parcel(shipment),
                "estimated_delivery": estimated_delivery,
            }
        case Cancelled(reason=reason):
            return ShipmentCancelled, {"direction": shipment.direction, "reason": reason}
        case RecallRequested():
            return ShipmentRecallRequested, _parcel(shipment)


def _tracking(event: TrackingEvent) -> Told:
    shipment = event.shipment
    match event:
        case Collected(at=at) if shipment.returning:
            return ReturnPickedUp, {
                "rma_id": shipment.returning.rma_id,
                **_parcel(shipment),
                "picked_up_at": at,
            }
        case Collected(at=at):
            return ShipmentDispatched, {
                "reservation_id": shipment.reservation_id,
                "warehouse_id": shipment.warehouse_id,
                **_parcel(shipment),
                "lines": _lines(shipment),
                "picked_up_at": at,
            }
        case ScanReported(scan=scan, will_retry=will_retry):
            event_type, fields = _scan_event(scan, will_retry)
            return event_type, {
                "direction": shipment.direction,
                "scanned_at": scan.scanned_at,
                **fields,
            }
        case PromiseMissed(deliver_by=deliver_by):
            return DeliverySlaBreached, {
                "carrier_code": shipment.carrier_code,
                "deliver_by": deliver_by,
            }
        case Delayed(promised_latest=latest, forecast_delivery=forecast):
            return ShipmentDelayed, {
                "carrier_code": shipment.carrier_code,
                "promised_latest": latest,
                "forecast_delivery": forecast,
            }
        case CarrierSilent(allowance=allowance, at=at):
            hours = round(allowance.total_seconds() / 3600, 1)
            return ShipmentExceptionRaised, {
                "direction": shipment.direction,
                "scanned_at": at,
                "code": "delayed",
                "detail": f"no carrier scan for {hours} h",
            }


def _scan_event(scan: Scan, will_retry: bool) -> Told:
    match scan.status:
        case "in_transit" | "out_for_delivery":
            return ShipmentInTransit, {"stage": scan.status, "location_code": scan.location_code}
        case "delivered":
            return ShipmentDelivered, {}
        case "delivery_failed":
            return DeliveryAttemptFailed, {"reason": "other", "will_retry": will_retry}
        case "returned_to_sender":
            return ShipmentReturnedToSender, {}
        case "lost":
            return ShipmentLost, {}
    # "exception": the driver's remark may name people, so it is not copied.
    return ShipmentExceptionRaised, {"code": "other"}


def _deadlines(shipment: Shipment) -> dict[str, Any]:
    """What a booking promises: by when the carrier collects and delivers."""
    return {
        "pickup_by": shipment.pickup_by,
        "deliver_by": _asked_to_deliver_by(shipment),
        "carrier_code": shipment.carrier_code,
    }


def _asked_to_deliver_by(shipment: Shipment) -> datetime | None:
    """The shipment's ``deliver_by`` (the buyer's promise: the SLA deadline), unless it is
    already past the pickup (a late booking): a carrier delivers after it collects."""
    pickup_by, deliver_by = shipment.pickup_by, shipment.deliver_by
    if pickup_by is not None and deliver_by is not None and deliver_by <= pickup_by:
        return pickup_by + AFTER_PICKUP
    return deliver_by


def _parcel(shipment: Shipment) -> dict[str, Any]:
    return {"carrier_code": shipment.carrier_code, "tracking_number": shipment.tracking_number}


def _lines(shipment: Shipment) -> list[dict[str, Any]]:
    return [
        {"sku": line.sku, "quantity": line.quantity, "seller_id": line.seller_id}
        for line in shipment.lines
    ]


def _told(
    event: BookingEvent | TrackingEvent, event_type: type[Envelope], fields: dict[str, Any]
) -> Wired:
    """An event about one of the order's shipments, on the shipments topic."""
    shipment_id = event.shipment.shipment_id
    return Wired(
        event_type,
        SHIPPING_SHIPMENTS,
        event.order_id,
        {"order_id": event.order_id, "shipment_id": shipment_id, **fields},
        name=f"{shipment_id}/{event_type.__name__}",
    )


def _command(
    event: CarrierEvent, carrier_code: str, event_type: type[Envelope], fields: dict[str, Any]
) -> Wired:
    """A command to one carrier about one of the order's shipments, on that carrier's own
    requests topic."""
    shipment_id = event.shipment.shipment_id
    return Wired(
        event_type,
        carrier_requests_topic(carrier_code),
        event.order_id,
        {"order_id": event.order_id, "shipment_id": shipment_id, **fields},
        name=f"{shipment_id}/{carrier_code}/{event_type.__name__}",
    )


def shipping_outlet(topic_prefix: str = "") -> Outlet[ShippingEvent]:
    """Where the shipping service's events go: its topics, as deployed under ``topic_prefix``."""
    return Outlet("shipping", wired, topic_prefix)
