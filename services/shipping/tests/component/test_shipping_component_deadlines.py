"""Deadlines fired by the app's own timer poller, learnt from the in-memory fulfilments' writes:
a carrier that does not answer or does not come is replaced, a silent parcel is reported, and
an erasure asked while a parcel travels is done when it arrives. Each test shortens the one
deadline it waits for (``shortened``)."""

import uuid
from typing import Any

import pytest
from shipping_component import (
    NEW_YORK,
    Received,
    ShippingComponent,
    event,
    new_order_id,
    reservation,
    scan,
)

from conveyor_contracts.carriers.requests import BookShipment, CancelShipmentBooking
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.privacy import holds_personal_data
from conveyor_contracts.shipping import (
    ShipmentExceptionRaised,
    ShipmentRebooked,
    ShippingPersonalDataErased,
)
from conveyor_contracts.topics import (
    CHECKOUT_ERASURES,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    carrier_requests_topic,
)
from shipping.domain.catalogue import DEFAULT_CARRIERS as CARRIERS
from shipping.settings import ShippingSettings

WITHIN = 0.2  # seconds a shortened deadline allows


@pytest.fixture
def shipping_settings(
    shipping_settings: ShippingSettings, request: pytest.FixtureRequest
) -> ShippingSettings:
    return shipping_settings.model_copy(update=getattr(request, "param", {}))


def shortened(**settings: Any) -> pytest.MarkDecorator:
    """Run the test with these settings."""
    ids = ["-".join(settings)]
    return pytest.mark.parametrize("shipping_settings", [settings], indirect=True, ids=ids)


def traced() -> tuple[str, dict[str, str]]:
    """A trace id, and the headers of a message sent in that trace."""
    trace_id = uuid.uuid4().hex
    return trace_id, {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}


def trace_of(message: Received) -> str:
    return message.headers["traceparent"].split("-")[1]


@shortened(acceptance_timeout_seconds=WITHIN)
async def test_a_carrier_silent_past_the_acceptance_deadline_is_replaced_in_the_orders_trace(
    shipping: ShippingComponent,
) -> None:
    order_id = new_order_id()
    order_trace, headers = traced()
    accepted = event(OrderAccepted, order_id, ship_to=NEW_YORK)
    await shipping.publish(ORDER_LIFECYCLE, accepted, key=order_id, headers=headers)
    # The reservation comes in a trace of its own, and so do the first booking's messages.
    await shipping.publish(INVENTORY_RESERVATIONS, reservation(order_id), key=order_id)
    first = await shipping.next(carrier_requests_topic("libertyparcel"))
    await shipping.next(SHIPPING_SHIPMENTS)  # ShipmentBooked

    cancel = await shipping.next(carrier_requests_topic("libertyparcel"))
    request = await shipping.next(carrier_requests_topic("swiftpost"))
    rebooked = await shipping.next(SHIPPING_SHIPMENTS)

    shipment_id = BookShipment.model_validate_json(first.body).shipment_id
    told = CancelShipmentBooking.model_validate_json(cancel.body)
    assert (told.shipment_id, told.reason) == (shipment_id, "rebooked_elsewhere")
    assert BookShipment.model_validate_json(request.body).shipment_id == shipment_id
    replaced = ShipmentRebooked.model_validate_json(rebooked.body)
    assert (replaced.previous_carrier_code, replaced.reason) == (
        "libertyparcel",
        "carrier_declined",
    )
    # The firing is a span in the trace of the order's first message, as with Mongo.
    assert trace_of(first) != order_trace
    assert {trace_of(message) for message in (cancel, request, rebooked)} == {order_trace}
    declines = {"carrier": "libertyparcel"}
    assert shipping.sample("conveyor_bookings_declined_total", **declines) == 1


@shortened(
    carriers=tuple(c.model_copy(update={"pickup_window_hours": WITHIN / 3600}) for c in CARRIERS)
)
async def test_a_carrier_that_misses_its_pickup_is_cancelled_and_the_next_one_asked(
    shipping: ShippingComponent,
) -> None:
    booking = await shipping.book(ship_to=NEW_YORK)
    await shipping.confirmed(booking)

    cancel = await shipping.next_request("libertyparcel")
    request = await shipping.next_request("swiftpost")
    rebooked = await shipping.next_shipment_event()

    assert isinstance(cancel, CancelShipmentBooking)
    assert (cancel.shipment_id, cancel.reason) == (booking.shipment_id, "rebooked_elsewhere")
    assert isinstance(request, BookShipment)
    assert isinstance(rebooked, ShipmentRebooked)
    assert (rebooked.previous_carrier_code, rebooked.carrier_code, rebooked.reason) == (
        "libertyparcel",
        "swiftpost",
        "pickup_missed",
    )
    assert rebooked.pickup_by > booking.told.pickup_by
    # A missed pickup is the carrier's failure, not a booking it declined.
    declines = {"carrier": "libertyparcel"}
    assert shipping.sample("conveyor_bookings_declined_total", **declines) == 0


@shortened(tracking_silence_seconds=WITHIN)
async def test_a_parcel_without_a_scan_for_the_allowed_silence_is_reported_delayed(
    shipping: ShippingComponent,
) -> None:
    booking = await shipping.book()
    await shipping.confirmed(booking)
    picked_up = scan(booking, "picked_up")
    await shipping.report(booking, picked_up)
    assert (await shipping.next_shipment_event()).event_type == "ShipmentDispatched"

    delayed = await shipping.next_shipment_event()

    assert isinstance(delayed, ShipmentExceptionRaised)
    assert (delayed.shipment_id, delayed.code, delayed.direction) == (
        booking.shipment_id,
        "delayed",
        "outbound",
    )
    assert delayed.scanned_at >= picked_up.scanned_at
    assert shipping.waiting(carrier_requests_topic("swiftpost")) == 0  # the carrier is kept


async def test_an_erasure_asked_while_the_parcel_travels_is_done_once_it_is_delivered(
    shipping: ShippingComponent,
) -> None:
    booking = await shipping.book()
    await shipping.confirmed(booking)
    await shipping.report(booking, scan(booking, "picked_up"))
    requested = event(PersonalDataErasureRequested, booking.order_id)
    await shipping.publish(CHECKOUT_ERASURES, requested, key=booking.order_id)
    await shipping.settled()
    assert (await shipping.next_shipment_event()).event_type == "ShipmentDispatched"
    assert shipping.nothing_more()  # the carrier still needs the address

    await shipping.report(booking, scan(booking, "delivered"))
    assert (await shipping.next_shipment_event()).event_type == "ShipmentDelivered"
    erased = await shipping.next_shipment_event()  # the timer's, at the end of the last parcel

    assert isinstance(erased, ShippingPersonalDataErased)
    assert (erased.erasure_id, erased.deferred, erased.causation_id) == (
        requested.erasure_id,
        True,
        requested.event_id,
    )
    fulfilment = await shipping.deps.shipping.fulfilments.get(booking.order_id)
    assert fulfilment is not None
    assert fulfilment.details is not None
    assert not holds_personal_data(fulfilment.details.ship_to)
    assert not holds_personal_data(fulfilment.details.recipient)
