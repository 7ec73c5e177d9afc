"""After-sales end to end on the real broker and database: the order's timeline across every
service and its rebuild from the topics, buyers kept to their own orders, a return from request
to refund, and a reshipment after a lost parcel."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh
from pymongo import AsyncMongoClient

from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
    WAREHOUSE_RETURNS,
)
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_testkit import Servers, from_example, wait_for
from support.app import rebuild_timelines
from support.settings import SupportSettings


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    async with running_mesh(servers, kafka) as running:
        yield running


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def delivered_order(mesh: Mesh, item: str | None = None) -> str:
    if item is None:
        item = sku()
        await mesh.receive_goods(item, "WH-US-NJ1", 3)
    order = await mesh.place([(item, 1)])
    booking = await mesh.request("libertyparcel", order.order_id)
    await mesh.accept("libertyparcel", booking)
    start = datetime.now(UTC)
    for n, status in enumerate(("picked_up", "in_transit", "out_for_delivery", "delivered")):
        await mesh.report("libertyparcel", mesh.scan(booking, status, start + timedelta(minutes=n)))
    await mesh.until_status(order.order_id, "delivered")
    return order.order_id


async def test_a_journeys_timeline_lists_every_services_events_in_causal_order_and_rebuilds_equal(
    mesh: Mesh, servers: Servers, kafka: str
) -> None:
    order_id = await delivered_order(mesh)

    async def complete() -> Any:
        timeline = await mesh.get("support", f"/orders/{order_id}/timeline", mesh.agent_token)
        types = {e["event_type"] for e in timeline["entries"]} if timeline else set()
        return timeline if "ShipmentDelivered" in types and "StockCommitted" in types else None

    timeline = await wait_for(complete, within=60)
    entries = timeline["entries"]  # type: ignore[index]
    assert {e["service"] for e in entries} >= {"checkout", "orders", "inventory", "shipping"}
    position = {e["event_id"]: n for n, e in enumerate(entries)}
    for n, entry in enumerate(entries):
        cause = entry["causation_id"]
        assert cause is None or cause not in position or position[cause] < n, entry["event_type"]
    assert entries[0]["event_type"] == "OrderPlaced"
    assert all(e["trace_id"] for e in entries)  # every hop carried its trace header
    assert "ship_to" not in str(entries)
    assert "recipient" not in str(entries)

    # Nobody else's: the buyer of the example order may read it, no token may not.
    assert (await mesh.call("support", "GET", f"/orders/{order_id}/timeline")).status_code == 401
    assert (
        await mesh.call("support", "GET", f"/orders/{order_id}/timeline", mesh.buyer_token)
    ).status_code == 200

    settings = SupportSettings(
        kafka_bootstrap_servers=kafka,
        **servers.kafka_login.settings("support"),  # the rebuild is support's, as itself
        mongo_url=servers.mongo_url,
        mongo_database=f"{mesh.prefix}support",
        topic_prefix=mesh.prefix,
    )
    rebuilt_database = f"{mesh.prefix}support-rebuilt"
    await rebuild_timelines(settings, database=rebuilt_database)
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url, tz_aware=True)
    try:
        live = await mongo[f"{mesh.prefix}support"]["timelines"].find_one({"_id": order_id})
        again = await mongo[rebuilt_database]["timelines"].find_one({"_id": order_id})
    finally:
        await mongo.close()
    assert live is not None
    assert again is not None
    assert again["entries"] == live["entries"]


async def test_a_return_goes_from_request_to_refund_with_the_stock_restocked_once(
    mesh: Mesh,
) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 2)
    order_id = await delivered_order(mesh, item)

    async def committed() -> bool:
        return await stock_of(mesh, item) == {"on_hand": 1, "reserved": 0}

    await wait_for(committed, within=60)

    opened = await mesh.call(
        "support", "POST", "/cases", mesh.buyer_token, order_id=order_id, kind="return_request"
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    lines = [{"sku": item, "quantity": 1, "reason": "changed_mind"}]

    async def authorised() -> Any:
        response = await mesh.call(
            "support", "POST", f"/cases/{case_id}/return", mesh.agent_token, lines=lines
        )
        return response.json() if response.status_code == 200 else None

    await wait_for(authorised, within=60)  # support learns of the delivery from its topics
    await mesh.until_status(order_id, "return_requested")

    pickup = await mesh.request("libertyparcel", order_id, "BookReturnPickup")
    await mesh.accept("libertyparcel", pickup)
    start = datetime.now(UTC)
    for n, status in enumerate(("picked_up", "delivered")):
        await mesh.report("libertyparcel", mesh.scan(pickup, status, start + timedelta(hours=n)))
    await mesh.until_status(order_id, "returned")

    # The warehouse receives and inspects it, and says so twice (a retried upload).
    inspected = from_example(
        ReturnInspected,
        order_id=order_id,
        correlation_id=order_id,
        shipment_id=pickup.shipment_id,
        rma_id=pickup.rma_id,
        warehouse_id="WH-US-NJ1",
        lines=[{"sku": item, "quantity": 1, "condition": "resellable"}],
    )
    for _ in range(2):
        await mesh.publish(WAREHOUSE_RETURNS.name, inspected, order_id)

    refund = await mesh.until_event(SUPPORT_REFUNDS.name, order_id, "RefundRequested")
    assert (refund.reason, refund.amount.amount_minor) == ("returned", 1000)
    await mesh.until_status(order_id, "refund_requested")

    async def restocked() -> bool:
        return await stock_of(mesh, item) == {"on_hand": 2, "reserved": 0}

    await wait_for(restocked, within=60)
    await mesh.until_event(INVENTORY_RESERVATIONS.name, order_id, "StockRestocked")
    assert len(mesh.events(INVENTORY_RESERVATIONS.name, order_id, "StockRestocked")) == 1
    assert len(mesh.events(SUPPORT_REFUNDS.name, order_id, "RefundRequested")) == 1
    assert await stock_of(mesh, item) == {"on_hand": 2, "reserved": 0}


async def test_a_reshipment_after_a_lost_parcel_delivers_the_second_shipment(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 2)
    order = await mesh.place([(item, 1)])
    first = await mesh.request("libertyparcel", order.order_id)
    await mesh.accept("libertyparcel", first)
    start = datetime.now(UTC)
    for n, status in enumerate(("picked_up", "in_transit", "lost")):
        await mesh.report("libertyparcel", mesh.scan(first, status, start + timedelta(hours=n)))
    await mesh.until_status(order.order_id, "lost")

    opened = await mesh.until_event(SUPPORT_CASES.name, order.order_id, "CaseOpened")
    assert opened.kind == "lost_parcel"
    settled = await mesh.call(
        "support",
        "POST",
        f"/cases/{opened.case_id}/resolution",
        mesh.agent_token,
        action="reship",
        lines=[{"sku": item, "quantity": 1}],
    )
    assert settled.status_code == 200, settled.text

    async def second_booking() -> Any:
        bookings = mesh.events("carrier.libertyparcel.requests.v1", order.order_id, "BookShipment")
        return bookings[-1] if len(bookings) == 2 else None

    second = await wait_for(second_booking, within=60)
    assert second.shipment_id != first.shipment_id  # type: ignore[attr-defined]
    await mesh.accept("libertyparcel", second)  # type: ignore[arg-type]
    for n, status in enumerate(("picked_up", "delivered")):
        scan = mesh.scan(second, status, datetime.now(UTC) + timedelta(minutes=n))  # type: ignore[arg-type]
        await mesh.report("libertyparcel", scan)
    await mesh.until_status(order.order_id, "delivered")
    assert await stock_of(mesh, item) == {"on_hand": 0, "reserved": 0}


async def stock_of(mesh: Mesh, item: str) -> dict[str, int]:
    levels = await mesh.get("inventory", f"/stock/{item}")
    [level] = [w for w in levels["warehouses"] if w["warehouse_id"] == "WH-US-NJ1"]
    return {"on_hand": level["on_hand"], "reserved": level["reserved"]}
