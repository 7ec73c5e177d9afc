"""The order's deadlines that passed: silent or absent carriers are replaced, late parcels are
reported, personal data past its retention (or asked erased while the order was in flight) is
erased. Called by the timer poller with the instant it read the deadlines at."""

from dataclasses import replace
from datetime import datetime

from conveyor_contracts.carriers.requests import CancelShipmentBooking
from conveyor_contracts.shipping.tracking import DeliverySlaBreached, ShipmentExceptionRaised
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.shipment import Fulfilment, Shipment, ShipmentStatus
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, freeing_slots, give_back
from shipping.usecases.emit import Reaction, deadline_cause
from shipping.usecases.erase_personal_data_on_erasure_requested import forget_if_due


async def handle_deadlines_on_timer(order_id: str, now: datetime, shipping: Shipping) -> None:
    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[OutboxMessage]]:
        messages: list[OutboxMessage] = []
        for shipment in fulfilment.shipments:
            after, emitted = _passed(fulfilment, shipment, now, shipping)
            fulfilment = fulfilment.with_shipment(after)
            messages += emitted
        fulfilment, confirmations = forget_if_due(fulfilment, now, shipping, deferred=True)
        return fulfilment, messages + confirmations

    noting, freed = freeing_slots(change)
    await shipping.fulfilments.update(order_id, noting)
    await give_back(freed, shipping)  # carriers that did not answer or come
    await book_waiting_shipments(order_id, shipping)  # replacements, and interrupted bookings


def _passed(
    fulfilment: Fulfilment, shipment: Shipment, now: datetime, shipping: Shipping
) -> tuple[Shipment, list[OutboxMessage]]:
    def reaction(kind: str, due: datetime) -> Reaction:
        return Reaction(deadline_cause(shipment, kind, due), fulfilment, shipping.topics, now)

    status = shipment.status
    if (
        status is ShipmentStatus.BOOKING_REQUESTED
        and shipment.accept_by
        and shipment.accept_by <= now
    ):
        # No answer counts as a decline.
        return _let_go(shipment, reaction("accept_by", shipment.accept_by), "carrier_declined")
    if status is ShipmentStatus.CONFIRMED and shipment.pickup_by and shipment.pickup_by <= now:
        return _let_go(shipment, reaction("pickup_by", shipment.pickup_by), "pickup_missed")
    if not status.in_flight:
        return shipment, []
    messages: list[OutboxMessage] = []
    deliver_by = shipment.deliver_by
    if deliver_by and deliver_by <= now and not shipment.sla_breached and not shipment.returning:
        shipment = replace(shipment, sla_breached=True)
        messages.append(
            reaction("deliver_by", deliver_by).shipment_event(
                DeliverySlaBreached,
                shipment,
                carrier_code=shipment.carrier_code,
                deliver_by=deliver_by,
            )
        )
    quiet_since = max(
        filter(None, (shipment.last_scan_at, shipment.silence_reported_at)), default=None
    )
    if quiet_since is not None and quiet_since + shipping.policy.silence <= now:
        hours = round(shipping.policy.silence.total_seconds() / 3600, 1)
        shipment = replace(shipment, silence_reported_at=now)
        messages.append(
            reaction("silence", quiet_since).shipment_event(
                ShipmentExceptionRaised,
                shipment,
                direction=shipment.direction,
                scanned_at=now,
                code="delayed",
                detail=f"no carrier scan for {hours} h",
            )
        )
    return shipment, messages


def _let_go(
    shipment: Shipment, reaction: Reaction, reason: str
) -> tuple[Shipment, list[OutboxMessage]]:
    """Stop waiting for this carrier, tell it so, and wait for the next one."""
    assert shipment.carrier_code is not None  # only booked shipments have these deadlines
    cancel = reaction.carrier_command(
        CancelShipmentBooking, shipment, shipment.carrier_code, reason="rebooked_elsewhere"
    )
    waiting = replace(
        shipment,
        status=ShipmentStatus.AWAITING_CARRIER,
        rebook_reason=reason,
        cause=str(reaction.cause_id),
        awaiting_since=reaction.now,
    )
    return waiting, [cancel]
