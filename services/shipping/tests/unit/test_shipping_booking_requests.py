"""What the carriers' decline rates count, kept as the facts arrive: every carrier asked, and
when it declined or did not answer in time; a missed pickup is no decline. Counted back by the
scorecards' use case, and loaded from documents stored before requests were kept."""

from datetime import timedelta

from shipping_order_steps import ORDER, booked, shipment
from shipping_testkit import accepted, carrier_accepts, reserved, scan, world

from conveyor_contracts.carriers.tracking import ShipmentDeclined
from conveyor_testkit import from_example
from shipping.adapters.mongo_fulfilments import from_document, to_document
from shipping.domain.scorecards import Figure
from shipping.domain.shipment import BookingRequest
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)
from shipping.usecases.score_carriers import score_carriers

CARRIERS = ("libertyparcel", "swiftpost")


async def test_a_decline_is_marked_on_the_request_once_and_the_next_carrier_asked() -> None:
    w = world()
    [shp] = await booked(w)
    asked_at = w.clock.now
    declined_at = w.clock.advance(minutes=5)
    decline = from_example(ShipmentDeclined, order_id=ORDER, correlation_id=ORDER, shipment_id=shp)
    await follow_shipment_on_carrier_report(decline, "libertyparcel", w.shipping)
    w.clock.advance(minutes=5)
    await follow_shipment_on_carrier_report(decline, "libertyparcel", w.shipping)  # redelivered

    after = await shipment(w, shp)
    assert after.bookings == (
        BookingRequest("libertyparcel", asked_at, declined_at),
        BookingRequest("swiftpost", declined_at),
    )


async def test_no_answer_in_time_is_a_decline_and_a_missed_pickup_is_not() -> None:
    w = world(acceptance_timeout_seconds=600)
    [shp] = await booked(w)
    asked_at = w.clock.now
    timed_out = w.clock.advance(minutes=11)
    await handle_deadlines_on_timer(ORDER, timed_out, w.shipping)  # libertyparcel never answered
    await follow_shipment_on_carrier_report(carrier_accepts(ORDER, shp), "swiftpost", w.shipping)
    missed = w.clock.advance(hours=25)
    await handle_deadlines_on_timer(ORDER, missed, w.shipping)  # swiftpost never came

    after = await shipment(w, shp)
    assert after.bookings == (
        BookingRequest("libertyparcel", asked_at, timed_out),
        BookingRequest("swiftpost", timed_out),  # missed its pickup: not a decline
    )
    cards = await score_carriers(w.fulfilments, CARRIERS, w.clock.now)
    assert cards.cards["7d"]["libertyparcel"].decline == Figure(1, 1)
    assert cards.cards["7d"]["swiftpost"].decline == Figure(0, 1)


async def test_the_scorecards_count_a_delivery_late_against_the_carrier_that_made_it() -> None:
    w = world()
    # an order without a promised window (an older producer): due by the end of the fifth day
    await record_order_on_order_accepted(
        accepted(ORDER, w.clock, promised_delivery=None, dispatch_by=None), w.shipping
    )
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    [shp] = [s.shipment_id for s in w.fulfilments.fulfilments[ORDER].shipments]
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shp), "libertyparcel", w.shipping
    )
    deliver_by = (await shipment(w, shp)).deliver_by
    assert deliver_by is not None
    late = deliver_by + timedelta(seconds=1)
    for status, at in (("picked_up", w.clock.now + timedelta(hours=2)), ("delivered", late)):
        await follow_shipment_on_carrier_report(
            scan(ORDER, shp, status, at), "libertyparcel", w.shipping
        )

    cards = await score_carriers(w.fulfilments, CARRIERS, late + timedelta(days=1))

    card = cards.cards["7d"]["libertyparcel"]
    assert (card.on_time, card.first_attempt, card.loss, card.decline) == (
        Figure(0, 1),
        Figure(1, 1),
        Figure(0, 1),
        Figure(0, 1),
    )
    assert cards.cards["7d"]["swiftpost"].on_time.rate is None
    # 31 days on, all of it is out of both windows
    gone = await score_carriers(w.fulfilments, CARRIERS, late + timedelta(days=31))
    assert gone.cards["30d"]["libertyparcel"].on_time == Figure(0, 0)


async def test_a_document_stored_before_requests_were_kept_loads_with_none() -> None:
    w = world()
    [shp] = await booked(w)
    stored = await w.fulfilments.get(ORDER)
    assert stored is not None
    document = to_document(stored, timedelta(hours=48), timedelta(days=90))
    for kept in document["shipments"]:
        del kept["bookings"]

    loaded = from_document(document)

    old = loaded.shipment(shp)
    assert old is not None
    assert old.bookings == ()
    assert old.declined(w.clock.now) == old  # nothing to mark
