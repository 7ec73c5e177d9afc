"""Ask a carrier to collect each shipment that has none: the best option with room today.

Runs after whatever left a shipment waiting (its reservation, the order's details, a decline, a
missed deadline) and from the timer poller, which resumes bookings a crash interrupted.
"""

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from conveyor_contracts.carriers.requests import BookReturnPickup, BookShipment, Parcel
from conveyor_contracts.shipping.booking import (
    ReturnPickupBooked,
    ShipmentBooked,
    ShipmentBookingFailed,
    ShipmentRebooked,
)
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.capacity import CarrierSlot, slot_of
from shipping.domain.parcels import pack
from shipping.domain.selection import Option, Route, ranked_options
from shipping.domain.shipment import (
    Fulfilment,
    OrderDetails,
    Shipment,
    ShipmentStatus,
    promised_by,
)
from shipping.usecases.context import Shipping
from shipping.usecases.emit import Reaction

# A return has no buyer promise; the carrier should still bring it back within a week of pickup.
RETURN_TRANSIT_ALLOWANCE = timedelta(days=7)


async def book_waiting_shipments(order_id: str, shipping: Shipping) -> None:
    fulfilment = await shipping.fulfilments.get(order_id)
    if fulfilment is None:
        return
    for waiting in fulfilment.waiting_for_carrier():
        now = shipping.clock()
        choice = await _choose(fulfilment, waiting, shipping, now)

        def book(
            current: Fulfilment,
            waiting: Shipment = waiting,
            choice: Option | None = choice,
            now: datetime = now,
        ) -> tuple[Fulfilment, list[OutboxMessage]]:
            shipment = current.shipment(waiting.shipment_id)
            if shipment is None or shipment not in current.waiting_for_carrier():
                return current, []
            if shipment.carriers_tried != waiting.carriers_tried:
                return current, []  # booked meanwhile by another path
            return _booked(current, shipment, choice, shipping, now)

        stored = await shipping.fulfilments.update(order_id, book)
        if choice is not None:
            slot = CarrierSlot(choice.carrier.code, now.date(), waiting.shipment_id)
            if _not_holding(stored, slot):
                # Booked meanwhile by another path (another instance, the timer): the pickup
                # claimed for this attempt is not used.
                await shipping.capacity.release(slot.carrier_code, slot.day, slot.shipment_id)


def _not_holding(stored: Fulfilment | None, slot: CarrierSlot) -> bool:
    """Whether the stored booking holds some other slot than ``slot`` (a claim is one per
    shipment and day: the winner of a race for the same carrier shares it)."""
    shipment = None if stored is None else stored.shipment(slot.shipment_id)
    return shipment is None or slot_of(shipment) != slot


async def _choose(
    fulfilment: Fulfilment, shipment: Shipment, shipping: Shipping, now: datetime
) -> Option | None:
    policy = shipping.policy
    if len(shipment.carriers_tried) >= policy.max_booking_attempts:
        return None
    details = fulfilment.details
    assert details is not None  # waiting_for_carrier() only lists shipments of known orders
    site = policy.sites.get(shipment.warehouse_id)
    if site is None:
        return None  # a warehouse shipping has no dock address for: nobody can collect
    parcels = _parcels(shipment, details, shipping)
    route = Route(
        origin=site.address,
        # A return is served and priced as the reverse journey: the buyer's area decides.
        destination=shipment.returning.collect_from if shipment.returning else details.ship_to,
        service_level="standard" if shipment.returning else details.service_level,
        grams=max(parcel.weight_grams for parcel in parcels),
    )
    for option in ranked_options(
        policy.carriers,
        route,
        now=now,
        deliver_by=_promise(shipment, details, shipping),
        exclude=shipment.carriers_tried,
    ):
        day = now.date()
        if await shipping.capacity.claim(
            option.carrier.code, day, shipment.shipment_id, option.carrier.daily_capacity
        ):
            return option
    return None


def _booked(
    fulfilment: Fulfilment,
    shipment: Shipment,
    choice: Option | None,
    shipping: Shipping,
    now: datetime,
) -> tuple[Fulfilment, list[OutboxMessage]]:
    cause = (
        uuid.UUID(shipment.cause)
        if shipment.cause
        else uuid.uuid5(uuid.NAMESPACE_URL, shipment.shipment_id)
    )
    reaction = Reaction(cause, fulfilment, shipping.topics, now)
    if choice is None:
        failed = replace(shipment, status=ShipmentStatus.BOOKING_FAILED)
        reason = (
            "all_carriers_declined"
            if shipment.carriers_tried
            else ("no_carrier_serves_destination")
        )
        event = reaction.shipment_event(
            ShipmentBookingFailed, failed, reason=reason, carriers_tried=shipment.carriers_tried
        )
        return fulfilment.with_shipment(failed), [event]

    details = fulfilment.details
    assert details is not None
    code = choice.carrier.code
    deliver_by = max(_promise(shipment, details, shipping), choice.arrives_by)
    booked = replace(
        shipment,
        status=ShipmentStatus.BOOKING_REQUESTED,
        carrier_code=code,
        carriers_tried=(*shipment.carriers_tried, code),
        tracking_number=None,
        booked_at=now,
        accept_by=now + shipping.policy.acceptance_timeout,
        pickup_by=choice.pickup_by,
        deliver_by=deliver_by,
    )
    deadlines = {"pickup_by": booked.pickup_by, "deliver_by": deliver_by, "carrier_code": code}
    site = shipping.policy.sites[shipment.warehouse_id]
    parcels = _parcels(shipment, details, shipping)
    if shipment.returning:
        command = reaction.carrier_command(
            BookReturnPickup,
            booked,
            code,
            parcels=parcels,
            rma_id=shipment.returning.rma_id,
            collect_from=shipment.returning.collect_from,
            sender=shipment.returning.sender,
            deliver_to=site,
            pickup_by=booked.pickup_by,
            deliver_by=deliver_by,
        )
    else:
        command = reaction.carrier_command(
            BookShipment,
            booked,
            code,
            parcels=parcels,
            service_level=details.service_level,
            pickup_from=site,
            deliver_to=details.ship_to,
            recipient=details.recipient,
            pickup_by=booked.pickup_by,
            deliver_by=deliver_by,
        )
    if shipment.carrier_code is not None:
        event = reaction.shipment_event(
            ShipmentRebooked,
            booked,
            previous_carrier_code=shipment.carrier_code,
            reason=shipment.rebook_reason or "carrier_declined",
            **deadlines,
        )
    elif shipment.returning:
        event = reaction.shipment_event(
            ReturnPickupBooked,
            booked,
            rma_id=shipment.returning.rma_id,
            warehouse_id=shipment.warehouse_id,
            **deadlines,
        )
    else:
        event = reaction.shipment_event(
            ShipmentBooked,
            booked,
            reservation_id=shipment.reservation_id,
            warehouse_id=shipment.warehouse_id,
            service_level=details.service_level,
            lines=[{"sku": line.sku, "quantity": line.quantity} for line in shipment.lines],
            **deadlines,
        )
    return fulfilment.with_shipment(booked), [command, event]


def _promise(shipment: Shipment, details: OrderDetails, shipping: Shipping) -> datetime:
    if shipment.deliver_by is not None:
        return shipment.deliver_by
    if shipment.returning:
        return shipment.returning.collect_by + RETURN_TRANSIT_ALLOWANCE
    return promised_by(details.accepted_at, shipping.policy.promise_days[details.service_level])


def _parcels(shipment: Shipment, details: OrderDetails, shipping: Shipping) -> tuple[Parcel, ...]:
    return pack(
        shipment.lines, details.unit_prices, details.currency, shipping.policy.unit_weight_grams
    )
