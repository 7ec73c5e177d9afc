"""A parcel's way to the door on in-memory adapters: scans in any order end at the tracked
status, failed deliveries up to the policy return it to sender, and a broken promise or a silent
carrier is told once."""

import random
from datetime import timedelta

from shipping_order_steps import ORDER, booked, shipment
from shipping_testkit import World, carrier_accepts, scan, world

from shipping.domain.shipment import Scan, ShipmentStatus
from shipping.domain.tracking import tracked_status
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer


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
