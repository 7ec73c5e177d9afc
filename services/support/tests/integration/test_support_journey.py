"""A journey through the real Kafka and database: the timeline fills from every topic, a
repeated exception opens one case, where-is-my-order is answered, strangers learn nothing, and
a rebuild from the topics' history gives the same timelines."""

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from support_fixtures import (
    ADA_ID,
    Running,
    new_order_id,
    running_support,
    support_settings,
)

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping import (
    ShipmentBooked,
    ShipmentConfirmed,
    ShipmentDispatched,
    ShipmentExceptionRaised,
    ShipmentInTransit,
)
from conveyor_runtime.mongo import build_mongo_client
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import CreateTopics, Servers, from_example, wait_for
from support.adapters.mongo import TIMELINES, decode_timeline
from support.app import rebuild_timelines
from support.entrypoints.kafka import CONSUMED_TOPICS


async def journey(running: Running, order_id: str) -> dict[str, Any]:
    """Publish an order up to in transit, plus the same carrier exception three times."""
    ids = {"order_id": order_id, "correlation_id": order_id}
    start = datetime.now(UTC) - timedelta(hours=1)

    def at(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).isoformat()

    placed = from_example(OrderPlaced, buyer_id=ADA_ID, occurred_at=at(0), **ids)
    cause = {"causation_id": str(placed.event_id)}
    tracked = ids | {"tracking_number": "SP99887766US"}
    exception = from_example(ShipmentExceptionRaised, occurred_at=at(7), code="delayed", **ids)
    events: list[tuple[str, Any]] = [
        ("checkout.orders.v1", placed),
        ("orders.lifecycle.v1", from_example(OrderAccepted, occurred_at=at(1), **cause, **ids)),
        ("inventory.reservations.v1", from_example(StockReserved, occurred_at=at(2), **ids)),
        ("shipping.shipments.v1", booked := from_example(ShipmentBooked, occurred_at=at(3), **ids)),
        ("shipping.shipments.v1", from_example(ShipmentConfirmed, occurred_at=at(4), **tracked)),
        ("shipping.shipments.v1", from_example(ShipmentDispatched, occurred_at=at(5), **tracked)),
        ("shipping.shipments.v1", from_example(ShipmentInTransit, occurred_at=at(6), **ids)),
        ("shipping.shipments.v1", exception),
        ("shipping.shipments.v1", exception),  # redelivered
        ("shipping.shipments.v1", exception),
    ]
    for topic, event in events:
        await running.publish(topic, event, key=order_id)
    return {"booked": booked, "distinct": len(events) - 2}


async def test_one_case_for_repeated_exceptions_and_wismo_answered_in_transit(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*CONSUMED_TOPICS)
    settings = support_settings(servers, kafka, namespace)
    order_id = new_order_id()
    async with running_support(servers, settings) as running:
        facts = await journey(running, order_id)

        async def case_on_timeline() -> list[dict[str, Any]] | None:
            entries = await running.entries(order_id)
            opened = [e for e in entries if e["event_type"] == "CaseOpened"]
            return entries if opened and len(entries) >= facts["distinct"] + 1 else None

        entries = await wait_for(case_on_timeline, within=60)
        assert isinstance(entries, list)
        where = (await running.http.get(f"/orders/{order_id}/where", headers=running.ada)).json()
        opened = await running.http.post(
            "/cases", json={"order_id": order_id, "kind": "where_is_my_order"}, headers=running.ada
        )

        async def answered_on_timeline() -> bool:
            types = [e["event_type"] for e in await running.entries(order_id)]
            return types.count("CaseOpened") == 2 and "CaseResolved" in types

        await wait_for(answered_on_timeline, within=60)
        final = await running.entries(order_id)
        foreign = await running.http.get(f"/orders/{order_id}/timeline", headers=running.bob)
        unknown = await running.http.get(f"/orders/{new_order_id()}/timeline", headers=running.bob)
        anonymous = await running.http.get(f"/orders/{order_id}/timeline")

    types = [e["event_type"] for e in entries]
    assert types[:3] == ["OrderPlaced", "OrderAccepted", "StockReserved"]
    assert types.count("ShipmentExceptionRaised") == 1
    system_cases = [e for e in final if e["facts"].get("opened_by") == "system"]
    assert [c["facts"]["kind"] for c in system_cases] == ["delivery_exception"]
    exception = next(e for e in final if e["event_type"] == "ShipmentExceptionRaised")
    assert system_cases[0]["causation_id"] == exception["event_id"]
    assert final.index(system_cases[0]) > final.index(exception)  # after its cause
    assert all(e["trace_id"] and len(e["trace_id"]) == 32 for e in final)
    assert ADA_ID not in str(final)

    booked = facts["booked"]
    assert (where["status"], where["carrier_code"], where["tracking_number"]) == (
        "in_transit",
        booked.carrier_code,
        "SP99887766US",
    )
    assert datetime.fromisoformat(where["deliver_by"]) == booked.deliver_by
    assert opened.status_code == 201
    case = opened.json()
    assert (case["status"], case["resolution"], case["opened_by"]) == (
        "resolved",
        "answered",
        "buyer",
    )
    assert case["answer"]["status"] == "in_transit"
    assert case["answer"]["tracking_number"] == "SP99887766US"

    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert anonymous.status_code == 401


async def test_a_rebuild_from_the_topics_gives_the_same_timelines(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*CONSUMED_TOPICS)
    settings = support_settings(servers, kafka, namespace)
    orders = [new_order_id(), new_order_id()]
    async with running_support(servers, settings) as running:
        for order_id in orders:
            facts = await journey(running, order_id)

        async def all_recorded() -> bool:
            for order_id in orders:
                types = [e["event_type"] for e in await running.entries(order_id)]
                if len(types) < facts["distinct"] + 1 or "CaseOpened" not in types:
                    return False
            return True

        await wait_for(all_recorded, within=60)
        await running.http.post(
            "/cases", json={"order_id": orders[0], "kind": "damaged"}, headers=running.agent
        )

        async def agent_case_recorded() -> bool:
            types = [e["event_type"] for e in await running.entries(orders[0])]
            return types.count("CaseOpened") == 2

        await wait_for(agent_case_recorded, within=60)

    # The function, then the command line, each into its own empty database.
    report = await rebuild_timelines(settings, database=f"{namespace}rebuilt")
    assert report.skipped == 0
    assert report.recorded == report.messages > 0
    # The command logs in as the service's own principal, from its environment.
    login = servers.kafka_login.credentials("support")
    auth = (
        {
            "SUPPORT_KAFKA_USERNAME": login.username,
            "SUPPORT_KAFKA_PASSWORD": login.password.get_secret_value(),
        }
        if login
        else {}
    )
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "support",
        "rebuild-timeline",
        "--into",
        f"{namespace}rebuilt_cli",
        env=os.environ
        | {
            "SUPPORT_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "SUPPORT_MONGO_URL": servers.mongo_url,
            "SUPPORT_TOPIC_PREFIX": namespace,
            "SUPPORT_OTLP_ENDPOINT": "",
        }
        | auth,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await command.communicate()
    assert command.returncode == 0, stderr.decode()

    mongo = build_mongo_client(servers.mongo_url, build_tracer_provider("test", None))
    try:
        timelines = {}
        for database in (settings.mongo_database, f"{namespace}rebuilt", f"{namespace}rebuilt_cli"):
            cursor = mongo[database][TIMELINES].find({}).sort("_id", 1)
            timelines[database] = [decode_timeline(document) async for document in cursor]
    finally:
        await mongo.close()
    live, rebuilt, from_cli = timelines.values()
    assert [t.order_id for t in live] == sorted(orders)
    assert rebuilt == live
    assert from_cli == live
