"""Shipping against the topic registry: it reads every topic the registry names it a consumer of
(each carrier's tracking topic among them), handles every event type they carry, and publishes
every event type of its own topics (shipment events, and each carrier's commands), each as its
contract says (the ``shipping`` fixture parses everything it published)."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from shipping_component import (
    CONSUMED,
    NEW_YORK,
    PRODUCED,
    Booking,
    ShippingComponent,
    accepts,
    event,
    new_order_id,
    scan,
)

from conveyor_contracts.carriers.tracking import ShipmentDeclined
from conveyor_contracts.envelope import Envelope
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.orders import OrderCancelled
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.support import ReturnAuthorised
from conveyor_contracts.topics import (
    CHECKOUT_ERASURES,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    carrier_requests_topic,
)

CONSUMED_EVENTS = [(spec, model) for spec in CONSUMED for model in spec.events]


def test_shipping_reads_exactly_the_topics_the_registry_names_it_a_consumer_of(
    shipping: ShippingComponent,
) -> None:
    subscribed = {
        (subscriber.group_id, topic.name)
        for subscriber in shipping.deps.infra.broker.subscribers
        for topic in subscriber.topics
    }
    group = shipping.settings.topic("shipping")
    assert subscribed == {(group, shipping.topic(spec)) for spec in CONSUMED}


@pytest.mark.parametrize(
    ("spec", "model"),
    CONSUMED_EVENTS,
    ids=[f"{spec.name}:{model.__name__}" for spec, model in CONSUMED_EVENTS],
)
async def test_every_event_type_shipping_consumes_is_handled_for_a_shipment_it_booked(
    shipping: ShippingComponent, spec: TopicSpec[Any], model: type[Envelope]
) -> None:
    booking = await shipping.book()
    handled_before = shipping.consumed(spec, "ok")
    # A carrier's report names the booked shipment; a scan is dated now, so no silence is due.
    about = {"shipment_id": booking.shipment_id} if "shipment_id" in model.model_fields else {}
    dated = {"scanned_at": scan(booking, "in_transit").scanned_at, "remark": None}
    fields = about | (dated if "scanned_at" in model.model_fields else {})

    await shipping.publish(spec, event(model, booking.order_id, **fields), key=booking.order_id)

    assert shipping.consumed(spec, "ok") == handled_before + 1
    assert shipping.consumed(spec, "dead_lettered") == 0
    assert shipping.waiting(spec, dead_letter=True) == 0


Scenario = Callable[[ShippingComponent], Awaitable[None]]


async def booked(shipping: ShippingComponent) -> None:
    await shipping.book()


async def confirmed(shipping: ShippingComponent) -> Booking:
    booking = await shipping.book()
    await shipping.report(booking, accepts(booking))
    return booking


async def picked_up(shipping: ShippingComponent) -> Booking:
    booking = await confirmed(shipping)
    await shipping.report(booking, scan(booking, "picked_up"))
    return booking


async def delivered_after_a_failed_attempt(shipping: ShippingComponent) -> None:
    booking = await picked_up(shipping)
    for hours, status in enumerate(("in_transit", "delivery_failed", "delivered"), start=1):
        await shipping.report(booking, scan(booking, status, hours=hours))


async def promised_in_two_days(shipping: ShippingComponent) -> None:
    # swiftpost (the only carrier to San Francisco) collects within a day and takes three more:
    # its expected arrival at booking passes the window's last day.
    latest = (datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=2)).isoformat()
    await shipping.book(promise={"earliest": latest, "latest": latest})


async def delivered_after_the_promised_day(shipping: ShippingComponent) -> None:
    booking = await picked_up(shipping)
    await shipping.report(booking, scan(booking, "delivered", hours=30 * 24))


def ending_in(status: str) -> Scenario:
    async def scenario(shipping: ShippingComponent) -> None:
        booking = await picked_up(shipping)
        await shipping.report(booking, scan(booking, status, hours=1))

    return scenario


async def declined_by_both_carriers(shipping: ShippingComponent) -> None:
    booking = await shipping.book(ship_to=NEW_YORK)
    for carrier in ("libertyparcel", "swiftpost"):
        declined = event(ShipmentDeclined, booking.order_id, shipment_id=booking.shipment_id)
        await shipping.report(booking, declined, carrier)


async def cancelled_before_pickup(shipping: ShippingComponent) -> None:
    booking = await shipping.book()
    cancelled = event(OrderCancelled, booking.order_id)
    await shipping.publish(ORDER_LIFECYCLE, cancelled, key=booking.order_id)


async def cancelled_on_its_way(shipping: ShippingComponent) -> None:
    booking = await picked_up(shipping)
    cancelled = event(OrderCancelled, booking.order_id, stage="after_pickup")
    await shipping.publish(ORDER_LIFECYCLE, cancelled, key=booking.order_id)


async def returned_by_the_buyer(shipping: ShippingComponent) -> None:
    booking = await picked_up(shipping)
    await shipping.report(booking, scan(booking, "delivered", hours=1))
    expires_on = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    authorised = event(ReturnAuthorised, booking.order_id, expires_on=expires_on)
    await shipping.publish(SUPPORT_CASES, authorised, key=booking.order_id)
    told = await shipping.next_of(SHIPPING_SHIPMENTS, "ReturnPickupBooked")
    pickup = Booking(
        await shipping.next_of(carrier_requests_topic(told.carrier_code), "BookReturnPickup"), told
    )
    await shipping.report(pickup, accepts(pickup))
    await shipping.report(pickup, scan(pickup, "picked_up", hours=2))


async def erased_on_request(shipping: ShippingComponent) -> None:
    order_id = new_order_id()
    requested = event(PersonalDataErasureRequested, order_id)
    await shipping.publish(CHECKOUT_ERASURES, requested, key=order_id)


BOOKED = {"BookShipment", "ShipmentBooked"}
CONFIRMED = BOOKED | {"ShipmentConfirmed"}
DISPATCHED = CONFIRMED | {"ShipmentDispatched"}
# Each scenario of one order, and exactly the event types shipping publishes in it.
SCENARIOS: dict[str, tuple[Scenario, set[str]]] = {
    "booked": (booked, BOOKED),
    "booked past the promised window": (promised_in_two_days, BOOKED | {"ShipmentDelayed"}),
    "delivered after a failed attempt": (
        delivered_after_a_failed_attempt,
        DISPATCHED | {"ShipmentInTransit", "DeliveryAttemptFailed", "ShipmentDelivered"},
    ),
    "delivered after the promised day": (
        delivered_after_the_promised_day,
        DISPATCHED | {"ShipmentDelivered", "DeliverySlaBreached"},
    ),
    "returned to sender": (
        ending_in("returned_to_sender"),
        DISPATCHED | {"ShipmentReturnedToSender"},
    ),
    "lost": (ending_in("lost"), DISPATCHED | {"ShipmentLost"}),
    "held up on its way": (ending_in("exception"), DISPATCHED | {"ShipmentExceptionRaised"}),
    "declined by both carriers": (
        declined_by_both_carriers,
        BOOKED | {"ShipmentRebooked", "ShipmentBookingFailed"},
    ),
    "cancelled before pickup": (
        cancelled_before_pickup,
        BOOKED | {"CancelShipmentBooking", "ShipmentCancelled"},
    ),
    "cancelled on its way": (
        cancelled_on_its_way,
        DISPATCHED | {"RecallShipment", "ShipmentRecallRequested"},
    ),
    "returned by the buyer": (
        returned_by_the_buyer,
        DISPATCHED
        | {"ShipmentDelivered", "BookReturnPickup", "ReturnPickupBooked", "ReturnPickedUp"},
    ),
    "erased on request": (erased_on_request, {"ShippingPersonalDataErased"}),
}


@pytest.mark.parametrize(("scenario", "expected"), SCENARIOS.values(), ids=SCENARIOS.keys())
async def test_each_scenario_publishes_its_event_types_as_their_contracts_say(
    shipping: ShippingComponent, scenario: Scenario, expected: set[str]
) -> None:
    await scenario(shipping)

    await shipping.settled()
    assert {shipping.parsed(message).event_type for message in shipping.published} == expected


def test_the_scenarios_publish_every_event_type_of_shippings_topics() -> None:
    published = set().union(*(expected for _, expected in SCENARIOS.values()))
    assert published == {model.__name__ for spec in PRODUCED for model in spec.events}
