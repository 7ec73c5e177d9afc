"""After-sales end to end on the real broker and database: the order's timeline across every
service and its rebuild from the topics, buyers kept to their own orders."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from doorstep_mesh import AGENT_TOKEN, BUYER_TOKEN, Mesh, running_mesh
from pymongo import AsyncMongoClient

from conveyor_runtime.testing import Servers, wait_for
from support.rebuild import rebuild_timelines
from support.settings import SupportSettings


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    async with running_mesh(servers, kafka) as running:
        yield running


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def delivered_order(mesh: Mesh) -> str:
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
        timeline = await mesh.get("support", f"/orders/{order_id}/timeline", AGENT_TOKEN)
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
        await mesh.call("support", "GET", f"/orders/{order_id}/timeline", BUYER_TOKEN)
    ).status_code == 200

    settings = SupportSettings(
        kafka_bootstrap_servers=kafka,
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
