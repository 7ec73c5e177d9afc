"""Order to doorstep on the real broker and database: orders, inventory and shipping together,
with each carrier scripted by the test on its own topics."""

import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh

from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
)
from conveyor_testkit import Servers, wait_for

SHIPMENTS = SHIPPING_SHIPMENTS.name
# The flash sale: ten buyers per unit of one SKU. The benchmark's flash sale runs thousands.
BUYERS, UNITS = 250, 25


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    # The production bounds: nothing here waits for a deadline (test_order_deadlines.py does,
    # on a mesh of its own with shortened ones).
    async with running_mesh(servers, kafka, {"unfillable_policy": "backorder"}) as running:
        yield running


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def stock_at(mesh: Mesh, item: str, warehouse_id: str) -> dict[str, int]:
    levels = await mesh.get("inventory", f"/stock/{item}")
    for level in levels["warehouses"]:
        if level["warehouse_id"] == warehouse_id:
            return {k: level[k] for k in ("on_hand", "reserved")}
    raise AssertionError(f"no {item} at {warehouse_id}")


async def deliver(mesh: Mesh, code: str, booking: object, *statuses: str) -> None:
    """Report ``statuses`` a minute apart, the last a minute ago: scans are never dated in the
    future, so a later call's scans are later than an earlier call's, as a carrier's are (a scan
    dated before the parcel's latest one is a late scan, and changes nothing)."""
    start = datetime.now(UTC) - timedelta(minutes=len(statuses))
    for n, status in enumerate(statuses):
        await mesh.report(code, mesh.scan(booking, status, start + timedelta(minutes=n)))  # type: ignore[arg-type]


async def test_a_split_order_is_delivered_in_two_parcels_and_its_stock_committed(
    mesh: Mesh,
) -> None:
    east, west = sku(), sku()
    await mesh.receive_goods(east, "WH-US-NJ1", 5)
    await mesh.receive_goods(west, "WH-US-CA1", 5)
    order = await mesh.place([(east, 1), (west, 2)])

    reserved = await mesh.until_event(INVENTORY_RESERVATIONS.name, order.order_id, "StockReserved")
    assert {a.warehouse_id for a in reserved.allocations} == {"WH-US-NJ1", "WH-US-CA1"}

    async def two_bookings() -> list[object] | None:
        found = mesh.events("carrier.libertyparcel.requests.v1", order.order_id, "BookShipment")
        return found if len(found) == 2 else None

    bookings = await wait_for(two_bookings, within=60)
    for booking in bookings:  # type: ignore[attr-defined]
        await mesh.accept("libertyparcel", booking)
        await deliver(
            mesh, "libertyparcel", booking, "picked_up", "in_transit", "out_for_delivery",
            "delivered",
        )  # fmt: skip

    await mesh.until_status(order.order_id, "delivered")
    shipments = await mesh.get("shipping", f"/orders/{order.order_id}/shipments")
    assert sorted(s["status"] for s in shipments) == ["delivered", "delivered"]
    assert all(s["tracking_number"] for s in shipments)

    async def committed() -> bool:
        return await stock_at(mesh, east, "WH-US-NJ1") == {"on_hand": 4, "reserved": 0} and (
            await stock_at(mesh, west, "WH-US-CA1") == {"on_hand": 3, "reserved": 0}
        )

    await wait_for(committed, within=60)


async def test_a_backorder_is_filled_by_a_later_receipt_and_shipped(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    order = await mesh.place([(item, 3)])
    backordered = await mesh.until_event(
        INVENTORY_RESERVATIONS.name, order.order_id, "StockBackordered"
    )
    assert [(s.sku, s.requested, s.available) for s in backordered.short_lines] == [(item, 3, 1)]
    await mesh.until_status(order.order_id, "backordered")

    await mesh.receive_goods(item, "WH-US-NJ1", 5)
    await mesh.until_event(INVENTORY_RESERVATIONS.name, order.order_id, "StockReserved")
    booking = await mesh.request("libertyparcel", order.order_id)
    await mesh.accept("libertyparcel", booking)
    await deliver(mesh, "libertyparcel", booking, "picked_up", "delivered")
    await mesh.until_status(order.order_id, "delivered")


async def test_cancelling_before_pickup_frees_the_stock_and_the_carrier_after_it_is_refused(
    mesh: Mesh,
) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 4)
    early, late = await mesh.place([(item, 2)]), await mesh.place([(item, 2)])
    for order in (early, late):
        await mesh.accept("libertyparcel", await mesh.request("libertyparcel", order.order_id))
        await mesh.until_event(SHIPMENTS, order.order_id, "ShipmentConfirmed")

    await mesh.cancel(early.order_id)
    await mesh.until_status(early.order_id, "cancelled")
    cancel = await mesh.request("libertyparcel", early.order_id, "CancelShipmentBooking")
    assert cancel.reason == "order_cancelled"
    await mesh.until_event(SHIPMENTS, early.order_id, "ShipmentCancelled")

    async def stock_back() -> bool:
        return await stock_at(mesh, item, "WH-US-NJ1") == {"on_hand": 4, "reserved": 2}

    await wait_for(stock_back, within=60)

    booking = mesh.events("carrier.libertyparcel.requests.v1", late.order_id, "BookShipment")[-1]
    await deliver(mesh, "libertyparcel", booking, "picked_up")
    await mesh.until_status(late.order_id, "picked_up")
    await mesh.cancel(late.order_id)
    refused = await mesh.until_event(
        ORDER_LIFECYCLE.name, late.order_id, "OrderCancellationRefused"
    )
    assert refused.reason == "already_shipped"
    assert await mesh.order_status(late.order_id) == "picked_up"


async def test_failed_deliveries_return_the_parcel_to_sender(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    order = await mesh.place([(item, 1)])
    booking = await mesh.request("libertyparcel", order.order_id)
    await mesh.accept("libertyparcel", booking)
    await deliver(
        mesh, "libertyparcel", booking,
        "picked_up", "out_for_delivery", "delivery_failed", "out_for_delivery", "delivery_failed",
    )  # fmt: skip

    recall = await mesh.request("libertyparcel", order.order_id, "RecallShipment")
    assert recall.shipment_id == booking.shipment_id
    await deliver(mesh, "libertyparcel", booking, "returned_to_sender")
    await mesh.until_status(order.order_id, "returned_to_sender")
    failures = mesh.events(SHIPMENTS, order.order_id, "DeliveryAttemptFailed")
    assert [f.will_retry for f in failures] == [True, False]


async def test_a_delivery_after_the_promise_raises_the_sla_event(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    order = await mesh.place([(item, 1)])
    booking = await mesh.request("libertyparcel", order.order_id)
    await mesh.accept("libertyparcel", booking)
    await mesh.report("libertyparcel", mesh.scan(booking, "picked_up", datetime.now(UTC)))
    late = booking.deliver_by + timedelta(hours=5)
    await mesh.report("libertyparcel", mesh.scan(booking, "delivered", late))

    breach = await mesh.until_event(SHIPMENTS, order.order_id, "DeliverySlaBreached")
    assert breach.deliver_by == booking.deliver_by
    await mesh.until_status(order.order_id, "delivered")


async def test_every_event_delivered_twice_changes_nothing_twice(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 5)
    order = await mesh.place([(item, 2)])
    await mesh.publish("checkout.orders.v1", order, order.order_id)  # the checkout retried
    booking = await mesh.request("libertyparcel", order.order_id)
    for _ in range(2):
        await mesh.accept("libertyparcel", booking)
    start = datetime.now(UTC)
    for n, status in enumerate(("picked_up", "in_transit", "delivered")):
        scan = mesh.scan(booking, status, start + timedelta(minutes=n))
        await mesh.report("libertyparcel", scan)
        await mesh.report("libertyparcel", scan)
    await mesh.until_status(order.order_id, "delivered")
    await mesh.until_event(INVENTORY_RESERVATIONS.name, order.order_id, "StockCommitted")

    async def settled() -> bool:
        return await stock_at(mesh, item, "WH-US-NJ1") == {"on_hand": 3, "reserved": 0}

    await wait_for(settled, within=60)
    counts = {
        name: len(mesh.events(topic, order.order_id, name))
        for topic, name in (
            (ORDER_LIFECYCLE.name, "OrderAccepted"),
            (INVENTORY_RESERVATIONS.name, "StockReserved"),
            (INVENTORY_RESERVATIONS.name, "StockCommitted"),
            (SHIPMENTS, "ShipmentBooked"),
            (SHIPMENTS, "ShipmentConfirmed"),
            (SHIPMENTS, "ShipmentDispatched"),
            (SHIPMENTS, "ShipmentDelivered"),
        )
    }
    assert set(counts.values()) == {1}, counts


async def test_shuffled_tracking_scans_end_in_the_sorted_state(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    order = await mesh.place([(item, 1)])
    booking = await mesh.request("libertyparcel", order.order_id)
    await mesh.accept("libertyparcel", booking)
    start = datetime.now(UTC).replace(microsecond=0)
    statuses = ["picked_up", "in_transit", "out_for_delivery", "delivery_failed",
                "out_for_delivery", "delivered"]  # fmt: skip
    scans = [mesh.scan(booking, s, start + timedelta(hours=n)) for n, s in enumerate(statuses)]
    shuffled = random.Random(11).sample(scans, len(scans))
    assert shuffled != scans
    for scan in shuffled:
        await mesh.report("libertyparcel", scan)

    await mesh.until_status(order.order_id, "delivered")

    async def all_scans_in() -> object:
        shipment = await mesh.get("shipping", f"/shipments/{booking.shipment_id}")
        return shipment if shipment and len(shipment["scans"]) == len(scans) else None

    shipment = await wait_for(all_scans_in, within=60)
    assert shipment["status"] == "delivered"  # type: ignore[index]
    assert [s["status"] for s in shipment["scans"]] == statuses  # type: ignore[index]


@pytest.mark.timeout(120)  # 250 orders through three services: 10-12 s measured, warm
async def test_a_flash_sale_of_250_orders_for_25_units_reserves_and_books_exactly_25(
    mesh: Mesh,
) -> None:
    # No carrier answers these bookings: the default acceptance deadline (30 min) keeps them, and
    # their reservations, in place however long a loaded machine takes to reach the checks below.
    hot = sku()
    await mesh.receive_goods(hot, "WH-US-NJ1", UNITS)
    orders = [await mesh.place([(hot, 1)]) for _ in range(BUYERS)]
    ids = {order.order_id for order in orders}

    def first_answers() -> dict[str, str]:
        """Each order's first answer from inventory (a backorder may later expire short)."""
        first: dict[str, str] = {}
        for event in mesh.seen[INVENTORY_RESERVATIONS.name]:
            if event.order_id in ids:
                first.setdefault(event.order_id, event.event_type)
        return first

    async def all_answered() -> dict[str, str] | None:
        first = first_answers()
        return first if len(first) == len(ids) else None

    answers = await wait_for(all_answered, within=480, interval=0.1)
    assert sorted(Counter(answers.values()).items()) == [  # type: ignore[union-attr]
        ("StockBackordered", BUYERS - UNITS),
        ("StockReserved", UNITS),
    ]
    reserved = [
        e.order_id for e in mesh.seen[INVENTORY_RESERVATIONS.name]
        if e.order_id in ids and e.event_type == "StockReserved"
    ]  # fmt: skip
    assert len(reserved) == len(set(reserved)) == UNITS  # nobody reserved twice, nobody late
    assert await stock_at(mesh, hot, "WH-US-NJ1") == {"on_hand": UNITS, "reserved": UNITS}

    async def all_booked() -> bool:
        bookings = [
            e for e in mesh.seen["carrier.libertyparcel.requests.v1"]
            if e.order_id in ids and e.event_type == "BookShipment"
        ]  # fmt: skip
        return len(bookings) == UNITS

    await wait_for(all_booked, within=100, interval=0.1)
