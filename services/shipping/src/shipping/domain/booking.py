"""Booking a waiting shipment with the carrier chosen for it, or failing to: pure rules.

Which carrier is chosen is ``selection``'s (and the carriers' capacity, the caller's); this is
what asking it makes of the shipment, and what that tells.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from conveyor_contracts.address import Site
from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.carriers.requests import Parcel
from shipping.domain.catalogue import ServiceLevel
from shipping.domain.events import (
    Booked,
    BookingFailed,
    CarrierAsked,
    Rebooked,
    ShippingEvent,
)
from shipping.domain.forecast import at_booking, reforecast
from shipping.domain.parcels import pack
from shipping.domain.selection import Option
from shipping.domain.shipment import (
    Fulfilment,
    OrderDetails,
    Shipment,
    ShipmentStatus,
    promised_by,
)

# A return has no buyer promise; the carrier should still bring it back within a week of pickup.
RETURN_TRANSIT_ALLOWANCE = timedelta(days=7)

Outcome = tuple[Fulfilment, list[ShippingEvent]]


@dataclass(frozen=True)
class BookingRules:
    """What booking takes of the deployment's policy."""

    sites: Mapping[str, Site]
    promise_days: Mapping[ServiceLevel, int]
    acceptance_timeout: timedelta
    unit_weight_grams: int
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    def promise(self, shipment: Shipment, details: OrderDetails) -> datetime:
        """By when the shipment is to arrive: as promised already, else at the end of the
        promised window's last day in the market, else as the order's service level (an order
        from an older producer) or a return's authorisation says."""
        if shipment.deliver_by is not None:
            return shipment.deliver_by
        if shipment.returning:
            return shipment.returning.collect_by + RETURN_TRANSIT_ALLOWANCE
        if details.promised_delivery is not None:
            return self.calendar.end_of_day(details.market, details.promised_delivery.latest)
        return promised_by(details.accepted_at, self.promise_days[details.service_level])

    def deliver_by(self, shipment: Shipment, details: OrderDetails, choice: Option) -> datetime:
        """The booking's delivery deadline: the buyer's promise, set once and never moved;
        without one (an older producer), never before the carrier booked says it arrives."""
        promise = self.promise(shipment, details)
        if details.promised_delivery is not None and not shipment.returning:
            return promise
        return max(promise, choice.arrives_by)

    def parcels(self, shipment: Shipment, details: OrderDetails) -> tuple[Parcel, ...]:
        return pack(shipment.lines, details.unit_prices, details.currency, self.unit_weight_grams)


def booking_cause(shipment: Shipment) -> uuid.UUID:
    """What booking the shipment answers: the event that last left it waiting (a stable id of
    the shipment when none is known), so a retried booking tells exactly the same."""
    if shipment.cause:
        return uuid.UUID(shipment.cause)
    return uuid.uuid5(uuid.NAMESPACE_URL, shipment.shipment_id)


def book(
    fulfilment: Fulfilment,
    waiting: Shipment,
    choice: Option | None,
    rules: BookingRules,
    now: datetime,
) -> Outcome:
    """``waiting`` (as it was when ``choice`` was made) booked with the carrier chosen, or failed
    when there is none; nothing when the shipment no longer waits as it did."""
    shipment = fulfilment.shipment(waiting.shipment_id)
    if shipment is None or shipment not in fulfilment.waiting_for_carrier():
        return fulfilment, []
    if shipment.carriers_tried != waiting.carriers_tried:
        return fulfilment, []  # booked meanwhile by another path
    if choice is None:
        return _failed(fulfilment, shipment)
    return _booked(fulfilment, shipment, choice, rules, now)


def _failed(fulfilment: Fulfilment, shipment: Shipment) -> Outcome:
    failed = replace(shipment, status=ShipmentStatus.BOOKING_FAILED)
    reason = "all_carriers_declined" if shipment.carriers_tried else "no_carrier_serves_destination"
    return fulfilment.with_shipment(failed), [BookingFailed(fulfilment.order_id, failed, reason)]


def _booked(
    fulfilment: Fulfilment, shipment: Shipment, choice: Option, rules: BookingRules, now: datetime
) -> Outcome:
    details = fulfilment.details
    assert details is not None  # waiting_for_carrier() only lists shipments of known orders
    code = choice.carrier.code
    booked = replace(
        shipment,
        status=ShipmentStatus.BOOKING_REQUESTED,
        carrier_code=code,
        carriers_tried=(*shipment.carriers_tried, code),
        tracking_number=None,
        booked_at=now,
        accept_by=now + rules.acceptance_timeout,
        pickup_by=choice.pickup_by,
        deliver_by=rules.deliver_by(shipment, details, choice),
    ).asked(code, now)
    order_id = fulfilment.order_id
    expected = at_booking(rules.calendar, details.market, choice.arrives_by)
    booked, delayed = reforecast(order_id, booked, expected, details.promised_delivery)
    site = rules.sites[shipment.warehouse_id]
    asked = CarrierAsked(order_id, booked, details, site, rules.parcels(shipment, details))
    told: ShippingEvent
    if shipment.carrier_code is not None:
        reason = shipment.rebook_reason or "carrier_declined"
        told = Rebooked(order_id, booked, shipment.carrier_code, reason)
    else:
        told = Booked(order_id, booked, details.service_level)
    return fulfilment.with_shipment(booked), [asked, told, *delayed]
