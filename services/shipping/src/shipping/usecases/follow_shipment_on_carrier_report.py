"""What a carrier reports on its tracking topic: acceptance, decline, and scans.

The scans' rules are the domain's (``shipping.domain.tracking``): read in the order they
happened, a late scan kept but not told again. Each fact they give becomes its shipment event;
the parcel leaving becomes ``ShipmentDispatched`` (inventory commits the stock on it), even when
the pickup scan itself is lost or late.
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
from shipping.domain.shipment import Fulfilment, Scan, Shipment, ShipmentStatus
from shipping.domain.tracking import (
    PickedUp,
    PromiseBroken,
    RecallNeeded,
    Scanned,
    TrackingFact,
    scanned,
)
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, freeing_slots, give_back
from shipping.usecases.emit import Reaction, already_applied, remembered

log = logging.getLogger(__name__)

Outcome = tuple[Fulfilment, list[OutboxMessage]]


async def follow_shipment_on_carrier_report(
    event: CarrierTrackingEvent, carrier_code: str, shipping: Shipping
) -> None:
    """``carrier_code`` is the carrier whose topic the report came on: a carrier can only speak
    for itself, whatever the message says."""
    now = shipping.clock()
    foreign = False  # as of the change's last run (an update may run it again on a conflict)

    def change(fulfilment: Fulfilment) -> Outcome:
        nonlocal foreign
        foreign = False
        shipment = fulfilment.shipment(event.shipment_id)
        if shipment is None:
            raise PermanentError(f"{event.event_type} for a shipment shipping does not know")
        if already_applied(fulfilment, event.event_id):
            return fulfilment, []
        reaction = Reaction(event.event_id, fulfilment, shipping.topics, now)
        if carrier_code != shipment.carrier_code and not isinstance(event, ShipmentAccepted):
            foreign = True
            return remembered(fulfilment, event.event_id), []
        after, messages = _apply(event, carrier_code, shipment, reaction, shipping)
        return remembered(after, event.event_id), messages

    noting, freed = freeing_slots(change)
    if await shipping.fulfilments.update(event.order_id, noting) is None:
        raise PermanentError(f"{event.event_type} for an order shipping does not know")
    if foreign:
        # Another carrier holds the shipment (or we let this one go): nothing to act on, but a
        # carrier reporting on parcels it does not hold is worth knowing about. Ids only.
        shipping.count_foreign_report(carrier_code)
        log.warning(
            "report from a carrier not holding the shipment; ignored",
            extra={
                "carrier": carrier_code,
                "event_type": event.event_type,
                "shipment_id": event.shipment_id,
            },
        )
    await give_back(freed, shipping)  # a decline leaves the carrier's pickup unused
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
        # A carrier we gave up on accepted late: tell it not to come.
        return fulfilment, [
            reaction.carrier_command(
                CancelShipmentBooking, shipment, carrier_code, reason="rebooked_elsewhere"
            )
        ]
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
    scan = Scan(event.status, event.scanned_at, event.location_code)
    tracked = scanned(shipment, scan, shipping.policy.max_delivery_attempts)
    after = tracked.shipment
    if not after.tracking_number and after.scans != shipment.scans:
        after = replace(after, tracking_number=event.tracking_number)
    messages = [_told(fact, after, reaction, shipping) for fact in tracked.facts]
    return reaction.fulfilment.with_shipment(after), messages


def _told(
    fact: TrackingFact, shipment: Shipment, reaction: Reaction, shipping: Shipping
) -> OutboxMessage:
    match fact:
        case PickedUp(at=at) if shipment.returning:
            return reaction.shipment_event(
                ReturnPickedUp,
                shipment,
                rma_id=shipment.returning.rma_id,
                carrier_code=shipment.carrier_code,
                tracking_number=shipment.tracking_number,
                picked_up_at=at,
            )
        case PickedUp(at=at):
            return reaction.shipment_event(
                ShipmentDispatched,
                shipment,
                reservation_id=shipment.reservation_id,
                warehouse_id=shipment.warehouse_id,
                carrier_code=shipment.carrier_code,
                tracking_number=shipment.tracking_number,
                lines=[{"sku": line.sku, "quantity": line.quantity} for line in shipment.lines],
                picked_up_at=at,
            )
        case Scanned(scan=scan):
            event_type, fields = _scan_event(scan, shipment, shipping)
            return reaction.shipment_event(
                event_type,
                shipment,
                direction=shipment.direction,
                scanned_at=scan.scanned_at,
                **fields,
            )
        case RecallNeeded():
            # Return to sender by policy: ask the carrier to bring it back.
            return reaction.carrier_command(
                RecallShipment,
                shipment,
                shipment.carrier_code or "",
                tracking_number=shipment.tracking_number,
            )
        case PromiseBroken():
            return reaction.shipment_event(
                DeliverySlaBreached,
                shipment,
                carrier_code=shipment.carrier_code,
                deliver_by=shipment.deliver_by,
            )


def _scan_event(
    scan: Scan, shipment: Shipment, shipping: Shipping
) -> tuple[type[OrderEnvelope], dict[str, object]]:
    match scan.status:
        case "in_transit" | "out_for_delivery":
            return ShipmentInTransit, {"stage": scan.status, "location_code": scan.location_code}
        case "delivered":
            return ShipmentDelivered, {}
        case "delivery_failed":
            will_retry = shipment.delivery_failures < shipping.policy.max_delivery_attempts
            return DeliveryAttemptFailed, {"reason": "other", "will_retry": will_retry}
        case "returned_to_sender":
            return ShipmentReturnedToSender, {}
        case "lost":
            return ShipmentLost, {}
    # "exception": the driver's remark may name people, so it is not copied.
    return ShipmentExceptionRaised, {"code": "other"}
