"""Taking shipments back on in-memory adapters: a cancelled order's bookings cancelled before
pickup and recalled after it, and an authorised return collected from the buyer."""

from datetime import timedelta

from shipping_order_steps import ORDER, booked, shipment
from shipping_testkit import NEW_YORK, carrier_accepts, reserved, scan, world

from conveyor_contracts.orders import OrderCancelled
from conveyor_contracts.support import ReturnAuthorised
from conveyor_testkit import from_example
from shipping.domain.shipment import ShipmentStatus
from shipping.usecases.book_return_on_return_authorised import book_return_on_return_authorised
from shipping.usecases.cancel_shipments_on_order_cancelled import (
    cancel_shipments_on_order_cancelled,
)
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.prepare_shipping_on_order_events import plan_shipments_on_stock_reserved


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
