"""Shipping's reactions on in-memory adapters: booking, re-booking, tracking, deadlines."""

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from shipping_testkit import NEW_YORK, World, accepted, carrier_accepts, reserved, scan, world

from conveyor_contracts.carriers.tracking import ShipmentDeclined
from conveyor_contracts.orders import OrderCancelled
from conveyor_contracts.support import ReturnAuthorised
from conveyor_runtime.testing import from_example
from shipping.adapters.memory import MemoryCarrierCapacity
from shipping.domain.deadlines import next_due
from shipping.domain.shipment import RESUME_BOOKING_AFTER, Scan, ShipmentStatus
from shipping.domain.tracking import tracked_status
from shipping.usecases.book_return_on_return_authorised import book_return_on_return_authorised
from shipping.usecases.cancel_shipments_on_order_cancelled import (
    cancel_shipments_on_order_cancelled,
)
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)

ORDER = "ord_01J9Z3K8M4QH2V"


async def booked(w: World, *warehouses: str) -> list[str]:
    """Run an order to 'booking requested'; its shipment ids."""
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    await plan_shipments_on_stock_reserved(reserved(ORDER, *warehouses), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    return [s.shipment_id for s in fulfilment.shipments]


async def shipment(w: World, shipment_id: str):  # type: ignore[no-untyped-def]
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    return fulfilment.shipment(shipment_id)


async def test_the_cheapest_carrier_serving_the_route_is_asked_on_its_own_topic() -> None:
    w = world()
    [shp] = await booked(w)

    # New York from New Jersey: libertyparcel (East Coast) is cheaper than swiftpost.
    topics = [topic for topic, _ in w.published()]
    assert topics == ["carrier.libertyparcel.requests.v1", "shipping.shipments.v1"]
    assert w.types() == ["BookShipment", "ShipmentBooked"]
    assert (await shipment(w, shp)).status is ShipmentStatus.BOOKING_REQUESTED


async def test_reservation_before_the_order_details_waits_then_books() -> None:
    w = world()
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    assert w.types() == []
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    assert w.types() == ["BookShipment", "ShipmentBooked"]


async def test_a_split_reservation_books_one_shipment_per_warehouse() -> None:
    w = world()
    shipments = await booked(w, "WH-US-NJ1", "WH-US-CA1")
    assert len(shipments) == 2
    assert w.types("shipments") == ["ShipmentBooked", "ShipmentBooked"]


async def test_redelivered_events_book_nothing_twice() -> None:
    w = world()
    placed, reservation = accepted(ORDER, w.clock), reserved(ORDER)
    for _ in range(2):
        await record_order_on_order_accepted(placed, w.shipping)
        await plan_shipments_on_stock_reserved(reservation, w.shipping)
    assert w.types() == ["BookShipment", "ShipmentBooked"]


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


def scans_to_delivery(w: World, shp: str) -> list:  # type: ignore[type-arg]
    start = w.clock.now
    statuses = ["picked_up", "in_transit", "out_for_delivery", "delivery_failed",
                "out_for_delivery", "delivered"]  # fmt: skip
    return [scan(ORDER, shp, s, start + timedelta(hours=n)) for n, s in enumerate(statuses)]


async def test_shuffled_and_duplicated_scans_end_as_the_sorted_scans() -> None:
    for seed in range(5):
        w = world()
        [shp] = await booked(w)
        await follow_shipment_on_carrier_report(
            carrier_accepts(ORDER, shp), "libertyparcel", w.shipping
        )
        scans = scans_to_delivery(w, shp)
        arrival = scans + random.Random(seed).sample(scans, 3)
        random.Random(seed).shuffle(arrival)
        for report in arrival:
            await follow_shipment_on_carrier_report(report, "libertyparcel", w.shipping)

        final = await shipment(w, shp)
        assert final.status is ShipmentStatus.DELIVERED
        assert len(final.scans) == len(scans)
        types = w.types("shipments")
        assert types.count("ShipmentDispatched") == 1
        assert types.count("ShipmentDelivered") == 1
        # A scan that arrives after a later one is kept, not told: at most once, never after.
        assert types.count("DeliveryAttemptFailed") <= 1
        assert types[-1] == "ShipmentDelivered"


def test_the_tracked_status_ignores_arrival_order() -> None:
    w = world()
    scans = scans_to_delivery(w, "shp_0123456789")
    as_scans = tuple(Scan(s.status, s.scanned_at, s.location_code) for s in scans)
    assert tracked_status(as_scans) is ShipmentStatus.DELIVERED
    assert tracked_status(tuple(reversed(as_scans))) is ShipmentStatus.DELIVERED
    assert tracked_status(as_scans[:4]) is ShipmentStatus.DELIVERY_FAILED


async def test_failed_deliveries_up_to_the_policy_return_the_parcel_to_sender() -> None:
    w = world(max_delivery_attempts=2)
    [shp] = await booked(w)
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shp), "libertyparcel", w.shipping
    )
    start = w.clock.now
    for n, status in enumerate(
        ["picked_up", "out_for_delivery", "delivery_failed", "out_for_delivery", "delivery_failed"]
    ):
        report = scan(ORDER, shp, status, start + timedelta(hours=n))
        await follow_shipment_on_carrier_report(report, "libertyparcel", w.shipping)
    failures = [m for _, m in w.published() if m.event_type == "DeliveryAttemptFailed"]
    assert [f.will_retry for f in failures] == [True, False]
    assert w.types("carrier")[-1] == "RecallShipment"

    back = scan(ORDER, shp, "returned_to_sender", start + timedelta(hours=9))
    await follow_shipment_on_carrier_report(back, "libertyparcel", w.shipping)
    assert (await shipment(w, shp)).status is ShipmentStatus.RETURNED_TO_SENDER
    assert w.types("shipments")[-1] == "ShipmentReturnedToSender"


async def test_delivery_after_the_promise_raises_the_sla_event_once() -> None:
    w = world()
    [shp] = await booked(w)
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shp), "libertyparcel", w.shipping
    )
    promise = (await shipment(w, shp)).deliver_by
    await follow_shipment_on_carrier_report(
        scan(ORDER, shp, "picked_up", w.clock.now), "libertyparcel", w.shipping
    )
    # The timer at the promise and the late delivered scan both see it: one event.
    await handle_deadlines_on_timer(ORDER, promise + timedelta(seconds=1), w.shipping)
    late = scan(ORDER, shp, "delivered", promise + timedelta(hours=3))
    await follow_shipment_on_carrier_report(late, "libertyparcel", w.shipping)
    assert w.types("shipments").count("DeliverySlaBreached") == 1
    assert (await shipment(w, shp)).status is ShipmentStatus.DELIVERED


async def test_a_silent_carrier_raises_a_delayed_exception() -> None:
    w = world(tracking_silence_seconds=3600)
    [shp] = await booked(w)
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shp), "libertyparcel", w.shipping
    )
    await follow_shipment_on_carrier_report(
        scan(ORDER, shp, "picked_up", w.clock.now), "libertyparcel", w.shipping
    )
    await handle_deadlines_on_timer(ORDER, w.clock.advance(minutes=61), w.shipping)
    await handle_deadlines_on_timer(ORDER, w.clock.advance(minutes=1), w.shipping)
    delayed = [m for _, m in w.published() if m.event_type == "ShipmentExceptionRaised"]
    assert [d.code for d in delayed] == ["delayed"]


async def test_cancelling_before_pickup_cancels_the_booking_and_after_pickup_recalls() -> None:
    w = world()
    first, second = await booked(w, "WH-US-NJ1", "WH-US-CA1")
    for shp in (first, second):
        fulfilment = await w.fulfilments.get(ORDER)
        assert fulfilment is not None
        code = fulfilment.shipment(shp).carrier_code  # type: ignore[union-attr]
        await follow_shipment_on_carrier_report(carrier_accepts(ORDER, shp), code, w.shipping)
    second_carrier = (await shipment(w, second)).carrier_code
    await follow_shipment_on_carrier_report(
        scan(ORDER, second, "picked_up", w.clock.now), second_carrier, w.shipping
    )
    cancel = from_example(
        OrderCancelled, order_id=ORDER, correlation_id=ORDER, stage="before_pickup"
    )
    await cancel_shipments_on_order_cancelled(cancel, w.shipping)
    await cancel_shipments_on_order_cancelled(cancel, w.shipping)

    assert w.types()[-4:] == [
        "CancelShipmentBooking",
        "ShipmentCancelled",
        "RecallShipment",
        "ShipmentRecallRequested",
    ]
    assert (await shipment(w, first)).status is ShipmentStatus.CANCELLED
    # A reservation arriving after the cancellation books nothing.
    before = len(w.published())
    await plan_shipments_on_stock_reserved(reserved(ORDER, "WH-US-TX1"), w.shipping)
    assert len(w.published()) == before


async def test_no_carrier_for_the_destination_fails_the_booking() -> None:
    w = world(carriers=[])
    await booked(w)
    assert w.types("shipments") == ["ShipmentBookingFailed"]
    assert w.published()[-1][1].reason == "no_carrier_serves_destination"


class OutageOnce(MemoryCarrierCapacity):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def claim(self, carrier_code: str, day: date, shipment_id: str, limit: int) -> bool:
        if not self.failed:
            self.failed = True
            raise ConnectionError("database briefly down")
        return await super().claim(carrier_code, day, shipment_id, limit)


async def test_a_booking_an_outage_interrupted_is_due_again_and_resumed_by_the_timer() -> None:
    w = world()
    w.shipping = replace(w.shipping, capacity=OutageOnce())
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    with pytest.raises(ConnectionError):
        await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    assert w.types() == []
    # Not at once: the event path books; the timer only resumes after a grace period.
    assert next_due(fulfilment, timedelta(hours=48)) == w.clock.now + RESUME_BOOKING_AFTER

    await handle_deadlines_on_timer(ORDER, w.clock.advance(seconds=31), w.shipping)
    assert w.types() == ["BookShipment", "ShipmentBooked"]


async def test_an_authorised_return_is_collected_from_the_buyer_and_brought_back() -> None:
    w = world()
    [outbound] = await booked(w)
    authorised = from_example(
        ReturnAuthorised,
        order_id=ORDER,
        correlation_id=ORDER,
        collect_from=NEW_YORK,
        return_to="WH-US-NJ1",
        expires_on=(w.clock.now + timedelta(days=14)).date().isoformat(),
    )
    await book_return_on_return_authorised(authorised, w.shipping)
    await book_return_on_return_authorised(authorised, w.shipping)  # redelivered

    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    [returned] = [s for s in fulfilment.shipments if s.shipment_id != outbound]
    assert w.types()[-2:] == ["BookReturnPickup", "ReturnPickupBooked"]
    code = returned.carrier_code
    assert code == "libertyparcel"  # New York is on the East Coast
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, returned.shipment_id), code, w.shipping
    )
    start = w.clock.now
    for n, status in enumerate(("picked_up", "in_transit", "delivered")):
        report = scan(ORDER, returned.shipment_id, status, start + timedelta(days=30 + n))
        await follow_shipment_on_carrier_report(report, code, w.shipping)

    events = [
        m
        for topic, m in w.published()
        if topic == "shipping.shipments.v1" and m.shipment_id == returned.shipment_id
    ]
    types = [e.event_type for e in events]
    assert types == [
        "ReturnPickupBooked", "ShipmentConfirmed", "ReturnPickedUp", "ShipmentInTransit",
        "ShipmentDelivered",
    ]  # fmt: skip
    assert "ShipmentDispatched" not in types
    assert "DeliverySlaBreached" not in types  # a late return is not a broken promise
    assert {e.direction for e in events if hasattr(e, "direction")} == {"return"}
    assert (await shipment(w, returned.shipment_id)).status is ShipmentStatus.DELIVERED
