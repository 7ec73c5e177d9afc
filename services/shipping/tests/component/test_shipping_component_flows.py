"""Journeys of one order's parcel through shipping's topics, as inventory, orders and the
carriers see them: booked on the carrier's requests topic, followed on its tracking topic, told
on ``shipping.shipments.v1``."""

from shipping_component import (
    NEW_YORK,
    Booking,
    ShippingComponent,
    accepts,
    event,
    new_order_id,
    reservation,
    scan,
)

from conveyor_contracts.carriers.requests import BookShipment
from conveyor_contracts.carriers.tracking import ShipmentDeclined
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping import (
    ShipmentBooked,
    ShipmentConfirmed,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentInTransit,
    ShipmentRebooked,
)
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    carrier_tracking_topic,
)


async def test_a_reservation_is_booked_with_a_carrier_and_told_through_to_its_delivery(
    shipping: ShippingComponent,
) -> None:
    order_id = new_order_id()
    accepted = event(OrderAccepted, order_id)
    reserved = reservation(order_id)
    await shipping.publish(ORDER_LIFECYCLE, accepted, key=order_id)
    await shipping.publish(INVENTORY_RESERVATIONS, reserved, key=order_id)
    request = await shipping.next_request("swiftpost")  # the only carrier to San Francisco
    booked = await shipping.next_shipment_event()

    assert isinstance(request, BookShipment)
    assert (request.deliver_to, request.recipient) == (accepted.ship_to, accepted.recipient)
    assert request.pickup_from.warehouse_id == "WH-US-NJ1"
    assert isinstance(booked, ShipmentBooked)
    assert (booked.shipment_id, booked.carrier_code) == (request.shipment_id, "swiftpost")
    assert (booked.reservation_id, booked.causation_id) == (
        reserved.reservation_id,
        reserved.event_id,
    )
    assert [(line.sku, line.quantity) for line in booked.lines] == [("TEE-BLK-M", 2)]

    booking = Booking(request, booked)
    confirmation = accepts(booking)
    await shipping.report(booking, confirmation)
    scans = [
        scan(booking, status, hours=hours)
        for hours, status in enumerate(("picked_up", "in_transit", "out_for_delivery", "delivered"))
    ]
    for carrier_scan in scans:
        await shipping.report(booking, carrier_scan)
    told = [await shipping.next_shipment_event() for _ in range(5)]

    assert [type(event) for event in told] == [
        ShipmentConfirmed,
        ShipmentDispatched,
        ShipmentInTransit,
        ShipmentInTransit,
        ShipmentDelivered,
    ]
    assert told[0].tracking_number == confirmation.tracking_number
    assert [event.causation_id for event in told] == [
        confirmation.event_id,
        *(carrier_scan.event_id for carrier_scan in scans),
    ]
    assert [told[2].stage, told[3].stage] == ["in_transit", "out_for_delivery"]
    await shipping.settled()
    assert shipping.nothing_more()  # no other command to the carrier, no other event


async def test_a_reservation_before_the_order_waits_for_it_and_is_booked_once(
    shipping: ShippingComponent,
) -> None:
    order_id = new_order_id()
    reserved = reservation(order_id)
    await shipping.publish(INVENTORY_RESERVATIONS, reserved, key=order_id)
    await shipping.settled()
    assert shipping.nothing_more()  # no address to collect for yet

    await shipping.publish(ORDER_LIFECYCLE, event(OrderAccepted, order_id), key=order_id)
    await shipping.publish(INVENTORY_RESERVATIONS, reserved, key=order_id)  # redelivered

    booked = await shipping.next_shipment_event()
    assert isinstance(booked, ShipmentBooked)
    assert isinstance(await shipping.next_request("swiftpost"), BookShipment)
    await shipping.settled()
    assert shipping.nothing_more()


async def test_a_carrier_declining_has_the_next_carrier_asked_on_its_own_topic(
    shipping: ShippingComponent,
) -> None:
    booking = await shipping.book(ship_to=NEW_YORK)
    declined = event(ShipmentDeclined, booking.order_id, shipment_id=booking.shipment_id)

    await shipping.report(booking, declined)
    await shipping.report(booking, declined)  # redelivered

    assert booking.carrier == "libertyparcel"  # the cheaper one to New York from New Jersey
    request = await shipping.next_request("swiftpost")
    rebooked = await shipping.next_shipment_event()
    assert isinstance(request, BookShipment)
    assert request.shipment_id == booking.shipment_id
    assert isinstance(rebooked, ShipmentRebooked)
    assert (rebooked.previous_carrier_code, rebooked.carrier_code, rebooked.reason) == (
        "libertyparcel",
        "swiftpost",
        "carrier_declined",
    )
    assert rebooked.causation_id == declined.event_id
    await shipping.settled()
    assert shipping.nothing_more()  # libertyparcel is told nothing: it said no
    declines = {"carrier": "libertyparcel"}
    assert shipping.sample("conveyor_bookings_declined_total", **declines) == 1


async def test_a_report_from_a_carrier_not_holding_the_shipment_changes_nothing_and_is_counted(
    shipping: ShippingComponent,
) -> None:
    booking = await shipping.book()

    await shipping.report(booking, scan(booking, "picked_up"), "libertyparcel")

    await shipping.settled()
    assert shipping.nothing_more()
    ignored = {"carrier": "libertyparcel"}
    assert shipping.sample("conveyor_carrier_reports_ignored_total", **ignored) == 1
    assert shipping.consumed(carrier_tracking_topic("libertyparcel"), "ok") == 1


async def test_bytes_that_are_no_report_are_parked_with_their_reason_and_the_parcel_goes_on(
    shipping: ShippingComponent,
) -> None:
    booking = await shipping.book()
    tracking = carrier_tracking_topic("swiftpost")
    broken = b'{"event_type": "ShipmentAccepted"'

    await shipping.publish(tracking, broken, key=booking.order_id, headers={"a": "b"})
    parked = await shipping.next(tracking, dead_letter=True)
    await shipping.confirmed(booking)  # the key's next message is handled as ever

    assert parked.body == broken  # the original bytes, to replay
    assert parked.key == booking.order_id
    assert parked.headers["x-dlq-reason"].startswith("ValidationError: ")
    assert parked.headers["x-dlq-original-topic"] == shipping.topic(tracking)
    assert parked.headers["x-dlq-consumer-group"] == shipping.settings.topic("shipping")
    assert parked.headers["a"] == "b"  # the original headers travel with it
    assert shipping.consumed(tracking, "dead_lettered") == 1


async def test_a_report_about_an_order_shipping_does_not_know_is_parked_with_the_reason(
    shipping: ShippingComponent,
) -> None:
    order_id = new_order_id()
    declined = event(ShipmentDeclined, order_id, shipment_id="shp_01J9Z4B6T2W8")
    tracking = carrier_tracking_topic("swiftpost")

    await shipping.publish(tracking, declined, key=order_id)

    parked = await shipping.next(tracking, dead_letter=True)
    assert parked.headers["x-dlq-reason"] == (
        "PermanentError: ShipmentDeclined for an order shipping does not know"
    )
    assert tracking.adapter.validate_json(parked.body) == declined
    await shipping.settled()
    assert shipping.nothing_more()
