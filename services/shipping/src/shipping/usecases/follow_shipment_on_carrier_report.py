"""What a carrier reports on its tracking topic: acceptance, decline, and scans.

Scans are kept and read in the order they happened, so duplicates and late uploads end in the
state the sorted scans give. Each new scan becomes the matching shipment event; the first scan
at or past pickup also becomes ``ShipmentDispatched`` (inventory commits the stock on it), even
when the pickup scan itself is lost or late.
"""

import logging
from dataclasses import replace

from conveyor_contracts.carriers.requests import CancelShipmentBooking, RecallShipment
from conveyor_contracts.carriers.tracking import (
    CarrierTrackingEvent,
    ShipmentAccepted,
    ShipmentDeclined,
    TrackingScanRecorded,
)
from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.shipping.booking import ShipmentConfirmed
from conveyor_contracts.shipping.tracking import (
    DeliveryAttemptFailed,
    DeliverySlaBreached,
    ReturnPickedUp,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentExceptionRaised,
    ShipmentInTransit,
    ShipmentLost,
    ShipmentReturnedToSender,
)
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.shipment import (
    MOVING_SCANS,
    Fulfilment,
    Scan,
    Shipment,
    ShipmentStatus,
    tracked_status,
)
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping
from shipping.usecases.emit import Reaction, already_applied, remembered

log = logging.getLogger(__name__)

Outcome = tuple[Fulfilment, list[OutboxMessage]]


async def follow_shipment_on_carrier_report(
    event: CarrierTrackingEvent, carrier_code: str, shipping: Shipping
) -> None:
    """``carrier_code`` is the carrier whose topic the report came on: a carrier can only speak
    for itself, whatever the message says."""
    now = shipping.clock()

    def change(fulfilment: Fulfilment) -> Outcome:
        shipment = fulfilment.shipment(event.shipment_id)
        if shipment is None:
            raise PermanentError(f"{event.event_type} for a shipment shipping does not know")
        if already_applied(fulfilment, event.event_id):
            return fulfilment, []
        reaction = Reaction(event.event_id, fulfilment, shipping.topics, now)
        after, messages = _apply(event, carrier_code, shipment, reaction, shipping)
        return remembered(after, event.event_id), messages

    if await shipping.fulfilments.update(event.order_id, change) is None:
        raise PermanentError(f"{event.event_type} for an order shipping does not know")
    if isinstance(event, ShipmentDeclined):
        await book_waiting_shipments(event.order_id, shipping)


def _apply(
    event: CarrierTrackingEvent,
    carrier_code: str,
    shipment: Shipment,
    reaction: Reaction,
    shipping: Shipping,
) -> Outcome:
    fulfilment = reaction.fulfilment
    if carrier_code != shipment.carrier_code:
        if isinstance(event, ShipmentAccepted):
            # A carrier we gave up on answered late: tell it not to come.
            return fulfilment, [
                reaction.carrier_command(
                    CancelShipmentBooking, shipment, carrier_code, reason="rebooked_elsewhere"
                )
            ]
        log.warning(
            "report from a carrier not holding the shipment; ignored",
            extra={"carrier": carrier_code, "event_type": event.event_type},
        )
        return fulfilment, []
    match event:
        case ShipmentAccepted() if shipment.status is ShipmentStatus.BOOKING_REQUESTED:
            confirmed = replace(
                shipment, status=ShipmentStatus.CONFIRMED, tracking_number=event.tracking_number
            )
            return fulfilment.with_shipment(confirmed), [
                reaction.shipment_event(
                    ShipmentConfirmed,
                    confirmed,
                    direction=shipment.direction,
                    carrier_code=carrier_code,
                    tracking_number=event.tracking_number,
                    estimated_delivery=event.estimated_delivery,
                )
            ]
        case ShipmentDeclined() if shipment.status in (
            ShipmentStatus.BOOKING_REQUESTED,
            ShipmentStatus.CONFIRMED,
        ):
            waiting = replace(
                shipment,
                status=ShipmentStatus.AWAITING_CARRIER,
                rebook_reason="carrier_declined",
                cause=str(event.event_id),
                awaiting_since=reaction.now,
            )
            return fulfilment.with_shipment(waiting), []
        case TrackingScanRecorded():
            return _scanned(event, shipment, reaction, shipping)
    return fulfilment, []  # a duplicate answer, or a cancellation the carrier confirms


def _scanned(
    event: TrackingScanRecorded, shipment: Shipment, reaction: Reaction, shipping: Shipping
) -> Outcome:
    fulfilment = reaction.fulfilment
    scan = Scan(event.status, event.scanned_at, event.location_code)
    if shipment.status is ShipmentStatus.CANCELLED or scan.identity in {
        known.identity for known in shipment.scans
    }:
        return fulfilment, []
    before = shipment.status
    scans = (*shipment.scans, scan)
    status = tracked_status(scans) or before
    tracking_number = shipment.tracking_number or event.tracking_number
    after = replace(shipment, scans=scans, status=status, tracking_number=tracking_number)
    messages: list[OutboxMessage] = []

    picked_up_at = min((s.scanned_at for s in scans if s.status in MOVING_SCANS), default=None)
    if before.before_pickup and not status.before_pickup and after.returning:
        messages.append(
            reaction.shipment_event(
                ReturnPickedUp,
                after,
                rma_id=after.returning.rma_id,
                carrier_code=after.carrier_code,
                tracking_number=tracking_number,
                picked_up_at=picked_up_at,
            )
        )
    elif before.before_pickup and not status.before_pickup:
        messages.append(
            reaction.shipment_event(
                ShipmentDispatched,
                after,
                reservation_id=after.reservation_id,
                warehouse_id=after.warehouse_id,
                carrier_code=after.carrier_code,
                tracking_number=tracking_number,
                lines=[{"sku": line.sku, "quantity": line.quantity} for line in after.lines],
                picked_up_at=picked_up_at,
            )
        )
    fact = _scan_fact(event, after, shipping)
    if fact is not None:
        event_type, fields = fact
        messages.append(
            reaction.shipment_event(
                event_type, after, direction=after.direction, scanned_at=event.scanned_at, **fields
            )
        )
    if (
        event.status == "delivery_failed"
        and after.delivery_failures >= shipping.policy.max_delivery_attempts
        and not after.recall_requested
        and status.in_flight
        and not after.returning
    ):
        # Return to sender by policy: ask the carrier to bring it back.
        after = replace(after, recall_requested=True)
        messages.append(
            reaction.carrier_command(
                RecallShipment, after, after.carrier_code or "", tracking_number=tracking_number
            )
        )
    if (
        event.status == "delivered"
        and not after.returning
        and after.deliver_by is not None
        and event.scanned_at > after.deliver_by
        and not after.sla_breached
    ):
        after = replace(after, sla_breached=True)
        messages.append(
            reaction.shipment_event(
                DeliverySlaBreached,
                after,
                carrier_code=after.carrier_code,
                deliver_by=after.deliver_by,
            )
        )
    return fulfilment.with_shipment(after), messages


def _scan_fact(
    event: TrackingScanRecorded, shipment: Shipment, shipping: Shipping
) -> tuple[type[OrderEnvelope], dict[str, object]] | None:
    match event.status:
        case "in_transit" | "out_for_delivery":
            return ShipmentInTransit, {"stage": event.status, "location_code": event.location_code}
        case "delivered":
            return ShipmentDelivered, {}
        case "delivery_failed":
            will_retry = shipment.delivery_failures < shipping.policy.max_delivery_attempts
            return DeliveryAttemptFailed, {"reason": "other", "will_retry": will_retry}
        case "returned_to_sender":
            return ShipmentReturnedToSender, {}
        case "lost":
            return ShipmentLost, {}
        case "exception":
            # The driver's remark may name people: it is not copied.
            return ShipmentExceptionRaised, {"code": "other"}
    return None  # picked_up: told as ShipmentDispatched
