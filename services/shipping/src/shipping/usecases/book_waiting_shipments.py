"""Ask a carrier to collect each shipment that has none: the best option with room today.

Runs after whatever left a shipment waiting (its reservation, the order's details, a decline, a
missed deadline) and from the timer poller, which resumes bookings a crash interrupted.
"""

from datetime import datetime

from conveyor_runtime.outlet import Cause
from shipping.domain.booking import book, booking_cause
from shipping.domain.capacity import CarrierSlot, slot_of
from shipping.domain.events import ShippingEvent
from shipping.domain.selection import Option, Route, ranked_options
from shipping.domain.shipment import Fulfilment, Shipment
from shipping.usecases.context import Shipping


async def book_waiting_shipments(order_id: str, shipping: Shipping) -> None:
    fulfilment = await shipping.fulfilments.get(order_id)
    if fulfilment is None:
        return
    rules = shipping.policy.booking
    for waiting in fulfilment.waiting_for_carrier():
        now = shipping.clock()
        choice = await _choose(fulfilment, waiting, shipping, now)
        # The shipment as read: a change that still books it finds it waiting as it was (the
        # same carriers tried), so left waiting by the same cause.
        cause = Cause(booking_cause(waiting), now)

        def booking(
            current: Fulfilment,
            waiting: Shipment = waiting,
            choice: Option | None = choice,
            now: datetime = now,
        ) -> tuple[Fulfilment, list[ShippingEvent]]:
            return book(current, waiting, choice, rules, now)

        stored = await shipping.fulfilments.update(order_id, booking, cause)
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
    parcels = policy.booking.parcels(shipment, details)
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
        deliver_by=policy.booking.promise(shipment, details),
        exclude=shipment.carriers_tried,
        punctuality=policy.punctuality(shipping.on_time()),
    ):
        day = now.date()
        if await shipping.capacity.claim(
            option.carrier.code, day, shipment.shipment_id, option.carrier.daily_capacity
        ):
            return option
    return None
