"""Deadlines on the way to the doorstep, on the real broker and database: a backorder past its
bound ends short, a carrier that misses its pickup is replaced. The bounds are shortened through
the services' settings, so each deadline passes within seconds; the tests wait for its outcome,
never for a duration."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh

from conveyor_contracts.topics import INVENTORY_RESERVATIONS, ORDER_STATUS, SHIPPING_SHIPMENTS
from conveyor_testkit import Servers, wait_for
from shipping.domain.catalogue import DEFAULT_CARRIERS

SHIPMENTS = SHIPPING_SHIPMENTS.name
PICKUP_WINDOW_S = 3  # libertyparcel's (24 h in production)
BACKORDER_WAIT_S = 3  # inventory's backorder bound (3 days in production)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    carriers = [
        c.model_copy(update={"pickup_window_hours": PICKUP_WINDOW_S / 3600})
        if c.code == "libertyparcel"
        else c
        for c in DEFAULT_CARRIERS
    ]
    async with running_mesh(
        servers,
        kafka,
        {"unfillable_policy": "backorder", "backorder_max_wait_seconds": BACKORDER_WAIT_S},
        carriers=carriers,
    ) as running:
        yield running


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def test_a_backorder_past_its_bound_is_short_and_the_order_rejected(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    order = await mesh.place([(item, 2)])
    shortage = await mesh.until_event(
        INVENTORY_RESERVATIONS.name, order.order_id, "StockShortage", within=BACKORDER_WAIT_S + 60
    )
    assert [(s.sku, s.requested) for s in shortage.short_lines] == [(item, 2)]
    await mesh.until_status(order.order_id, "rejected")

    # Backordered, then rejected, as the checkout was told (the backordered status lasts only
    # the shortened bound: too briefly to be sure of catching it by polling the order).
    async def told_rejected() -> list[str] | None:
        told = [e.status for e in mesh.events(ORDER_STATUS.name, order.order_id)]
        return told if told[-1:] == ["rejected"] else None

    assert await wait_for(told_rejected) == ["accepted", "backordered", "rejected"]
    levels = await mesh.get("inventory", f"/stock/{item}")
    [level] = [w for w in levels["warehouses"] if w["warehouse_id"] == "WH-US-NJ1"]
    assert (level["on_hand"], level["reserved"]) == (1, 0)


async def test_a_declining_carrier_and_a_missed_pickup_are_rebooked_with_another_carrier(
    mesh: Mesh,
) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 5)
    declined, missed = await mesh.place([(item, 1)]), await mesh.place([(item, 1)])

    await mesh.decline("libertyparcel", await mesh.request("libertyparcel", declined.order_id))
    await mesh.request("swiftpost", declined.order_id)
    rebooked = await mesh.until_event(SHIPMENTS, declined.order_id, "ShipmentRebooked")
    assert (rebooked.previous_carrier_code, rebooked.reason) == (
        "libertyparcel",
        "carrier_declined",
    )

    booking = await mesh.request("libertyparcel", missed.order_id)
    await mesh.accept("libertyparcel", booking)  # ...and never comes
    await mesh.request(
        "libertyparcel", missed.order_id, "CancelShipmentBooking", PICKUP_WINDOW_S + 60
    )
    replacement = await mesh.request("swiftpost", missed.order_id)
    rebooked = await mesh.until_event(SHIPMENTS, missed.order_id, "ShipmentRebooked")
    assert (rebooked.carrier_code, rebooked.reason) == ("swiftpost", "pickup_missed")

    await mesh.accept("swiftpost", replacement)
    start = datetime.now(UTC)
    for n, status in enumerate(("picked_up", "delivered")):
        await mesh.report("swiftpost", mesh.scan(replacement, status, start + timedelta(minutes=n)))
    await mesh.until_status(missed.order_id, "delivered")
