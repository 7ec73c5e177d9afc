"""Re-booking on in-memory adapters: a decline, a missed pickup or no answer by the acceptance
deadline moves the shipment to the next carrier, until none is left."""

from shipping_order_steps import ORDER, booked
from shipping_testkit import carrier_accepts, world

from conveyor_contracts.carriers.tracking import ShipmentDeclined
from conveyor_testkit import from_example
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer


async def test_a_decline_rebooks_with_the_next_carrier_and_gives_up_after_the_last() -> None:
    w = world()
    [shp] = await booked(w)
    for code in ("libertyparcel", "swiftpost"):
        decline = from_example(
            ShipmentDeclined, order_id=ORDER, correlation_id=ORDER, shipment_id=shp
        )
        await follow_shipment_on_carrier_report(decline, code, w.shipping)
        await follow_shipment_on_carrier_report(decline, code, w.shipping)  # redelivered

    assert w.types("shipments") == [
        "ShipmentBooked",
        "ShipmentRebooked",
        "ShipmentBookingFailed",
    ]
    failed = w.published()[-1][1]
    assert failed.reason == "all_carriers_declined"
    assert failed.carriers_tried == ("libertyparcel", "swiftpost")


async def test_a_missed_pickup_cancels_the_first_carrier_and_books_another() -> None:
    w = world()
    [shp] = await booked(w)
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shp), "libertyparcel", w.shipping
    )
    await handle_deadlines_on_timer(ORDER, w.clock.advance(hours=1), w.shipping)
    assert w.types()[-1] == "ShipmentConfirmed"  # nothing due yet

    now = w.clock.advance(hours=24)
    await handle_deadlines_on_timer(ORDER, now, w.shipping)
    await handle_deadlines_on_timer(ORDER, now, w.shipping)  # a second poller: fires once

    assert w.types()[-3:] == ["CancelShipmentBooking", "BookShipment", "ShipmentRebooked"]
    rebooked = w.published()[-1][1]
    assert (rebooked.previous_carrier_code, rebooked.carrier_code) == ("libertyparcel", "swiftpost")
    assert rebooked.reason == "pickup_missed"


async def test_no_answer_by_the_acceptance_deadline_counts_as_a_decline() -> None:
    w = world(acceptance_timeout_seconds=600)
    await booked(w)
    await handle_deadlines_on_timer(ORDER, w.clock.advance(minutes=11), w.shipping)
    assert w.types()[-3:] == ["CancelShipmentBooking", "BookShipment", "ShipmentRebooked"]
