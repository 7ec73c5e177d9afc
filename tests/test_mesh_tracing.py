"""One trace per order in the real Jaeger: the checkout simulator's publish, the four services
and the carrier simulator's replies, every Kafka hop parented on the publish of the same message,
and a carrier event that arrived without a trace header linked to the order's trace."""

import json
import random
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh
from faststream.kafka import KafkaBroker

from conveyor_contracts.carriers.tracking import TrackingScanRecorded
from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CARRIER_CODES, carrier_tracking_topic
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.checkout import CheckoutSettings, make_order
from conveyor_simulators.kafka import credentials, tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_simulators.run_checkout import publish_checkout
from conveyor_testkit import Servers, fetch_trace, from_example, wait_for

SERVICES = {"orders", "inventory", "shipping", "support"}
WAREHOUSE = {"US": "WH-US-NJ1", "CA": "WH-CA-ON1", "GB": "WH-GB-MAN1"}
# A carrier that accepts and delivers every parcel, first time, ten simulated hours a second.
RELIABLE = CarrierSettings(
    decline_rate=0, failed_delivery_rate=0, lost_rate=0, duplicate_rate=0, out_of_order_rate=0
)
SPEED = 36000.0


@dataclass
class Journey:
    order: OrderPlaced
    carrier: str  # the carrier simulator's service name
    timeline: list[dict[str, Any]]
    untraced_scan: TrackingScanRecorded


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def journey(servers: Servers, kafka: str) -> Journey:
    """One order from the checkout simulator to its doorstep, then a carrier scan for it sent
    without trace headers. Returns once the mesh and the simulators have stopped, which flushes
    every tracer provider to Jaeger."""
    checkout = CheckoutSettings(
        orders=1, seed=random.randrange(10**9), cancel_ratio=0, invalid_ratio=0
    )
    order = make_order(checkout, 0)
    providers = []
    # Database spans are off by default (a setting); this trace shows them inside each handler.
    tracing_database = {"trace_database": True}
    async with (
        running_mesh(servers, kafka, every_service=tracing_database) as mesh,
        AsyncExitStack() as stack,
    ):

        def carrier_provider(name: str) -> Any:
            providers.append(tracer_provider(name, servers.otlp))
            return providers[-1]

        for broker, _, carrier in build_carriers(
            CARRIER_CODES,
            bootstrap=kafka,
            provider_for=carrier_provider,
            settings=RELIABLE,
            speed=SPEED,
            prefix=mesh.prefix,
            kafka_credentials=servers.kafka_credentials,  # each carrier as itself
        ):
            await broker.start()
            stack.push_async_callback(broker.stop)
            stack.callback(carrier.close)
        for line in order.lines:
            await mesh.receive_goods(line.sku, WAREHOUSE[order.market], line.quantity)
        await publish_checkout(
            checkout,
            rate=0,
            bootstrap=kafka,
            prefix=mesh.prefix,
            otlp=servers.otlp,
            kafka_credentials=servers.kafka_credentials,  # as the checkout
        )
        await mesh.until_status(order.order_id, "delivered", within=120)
        code = _carrier_of(mesh, order.order_id)
        booking = await mesh.request(code, order.order_id)
        timeline = await _complete_timeline(mesh, order.order_id)
        untraced_scan = await _scan_without_trace_headers(
            mesh, kafka, servers.kafka_credentials, code, booking
        )
    for provider in providers:
        provider.shutdown()  # flushes the carriers' spans
    return Journey(order, f"carrier-{code}", timeline, untraced_scan)


def _carrier_of(mesh: Mesh, order_id: str) -> str:
    for code in CARRIER_CODES:
        if mesh.events(f"carrier.{code}.requests.v1", order_id, "BookShipment"):
            return code
    raise AssertionError(f"no carrier was booked for {order_id}")


async def _complete_timeline(mesh: Mesh, order_id: str) -> list[dict[str, Any]]:
    async def complete() -> Any:
        timeline = await mesh.get("support", f"/orders/{order_id}/timeline", mesh.agent_token)
        types = {e["event_type"] for e in timeline["entries"]} if timeline else set()
        return timeline if "OrderDelivered" in types or "ShipmentDelivered" in types else None

    timeline: dict[str, Any] = await wait_for(complete, within=60)  # type: ignore[assignment]
    return list(timeline["entries"])


async def _scan_without_trace_headers(
    mesh: Mesh, kafka: str, kafka_credentials: Path | None, code: str, booking: Any
) -> TrackingScanRecorded:
    """A carrier that drops the trace header: a broker without the telemetry middleware,
    logged in as the carrier (the principal the registry names for its tracking topic)."""
    scan = from_example(
        TrackingScanRecorded,
        order_id=booking.order_id,
        correlation_id=booking.correlation_id,
        shipment_id=booking.shipment_id,
        status="in_transit",  # a late hub scan, re-sent by the carrier after delivery
        scanned_at=datetime.now(UTC).replace(microsecond=0).isoformat(),  # stored to the ms
        remark=None,
    )
    tracking = carrier_tracking_topic(code)
    topic = mesh.prefix + tracking.name
    login = credentials(kafka_credentials, tracking.producer)
    async with KafkaBroker(kafka.split(","), security=login) as bare:
        await bare.publish(scan.model_dump_json().encode(), topic, key=scan.order_id.encode())

    async def recorded() -> bool:  # shipping handled it: the shipment lists the scan
        shipment = await mesh.get("shipping", f"/shipments/{booking.shipment_id}")
        times = {datetime.fromisoformat(s["scanned_at"]) for s in shipment["scans"]}
        return scan.scanned_at in times

    await wait_for(recorded, within=60)
    return scan


async def _search(servers: Servers, service: str, order_id: str) -> list[dict[str, Any]]:
    """Jaeger's search by tag, the way an SRE looks an order up."""
    params = {
        "service": service,
        "tags": json.dumps({"conveyor.order_id": order_id}),
        "lookback": "1h",
        "limit": "50",
    }
    async with httpx.AsyncClient(base_url=servers.jaeger, timeout=10.0) as client:
        response = await client.get("/api/traces", params=params)
    response.raise_for_status()
    return list(response.json().get("data") or [])


def _tags(span: dict[str, Any]) -> dict[str, Any]:
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def _parent_id(span: dict[str, Any]) -> str | None:
    parents = [r["spanID"] for r in span["references"] if r["refType"] == "CHILD_OF"]
    return parents[0] if parents else None


async def _order_trace(servers: Servers, journey: Journey) -> dict[str, Any]:
    """The order's trace: found by its id on the orders service, rooted at the checkout."""

    async def found() -> list[str] | None:
        traces = await _search(servers, "orders", journey.order.order_id)
        ids = [
            t["traceID"]
            for t in traces
            if any(p["serviceName"] == "checkout-simulator" for p in t["processes"].values())
        ]
        return ids or None

    trace_ids: list[str] = await wait_for(found, within=30, interval=0.25)  # type: ignore[assignment]
    assert len(trace_ids) == 1, trace_ids  # one trace per order
    return await fetch_trace(
        servers.jaeger,
        trace_ids[0],
        expect_services=SERVICES | {"checkout-simulator", journey.carrier},
    )


async def test_an_order_is_one_trace_from_the_checkout_through_every_service_and_the_carrier(
    servers: Servers, journey: Journey
) -> None:
    trace = await _order_trace(servers, journey)
    spans = {span["spanID"]: span for span in trace["spans"]}
    service = {
        span_id: trace["processes"][span["processID"]]["serviceName"]
        for span_id, span in spans.items()
    }
    print(f"order trace: {len(spans)} spans from {sorted(set(service.values()))}")  # noqa: T201

    # One root, the checkout's publish; every other span's parent is in the trace.
    roots = [span for span in spans.values() if _parent_id(span) is None]
    assert [service[root["spanID"]] for root in roots] == ["checkout-simulator"]
    assert all(_parent_id(s) in spans for s in spans.values() if s not in roots)
    # Nothing on the order's own path links elsewhere (a stock document's receipt, say).
    assert {r["traceID"] for s in spans.values() for r in s["references"]} == {trace["traceID"]}

    # Every consume is the child of a publish of the same message (topic, key, event id).
    consumes = [s for s in spans.values() if _tags(s).get("span.kind") == "consumer"]
    topics = set()
    for consume in consumes:
        tags = _tags(consume)
        parent = spans[_parent_id(consume)]  # type: ignore[index]
        parent_tags = _tags(parent)
        assert parent_tags.get("span.kind") == "producer", consume["operationName"]
        assert (
            parent_tags["messaging.destination.name"] == tags["messaging.destination_publish.name"]
        )
        assert parent_tags["messaging.kafka.message.key"] == tags["messaging.kafka.message.key"]
        if {service[parent["spanID"]], service[consume["spanID"]]} <= SERVICES:
            # Simulators are plain outside clients: only the mesh's spans carry the event id.
            assert parent_tags["messaging.message.id"] == tags["messaging.message.id"]
        if service[consume["spanID"]] in SERVICES:
            assert tags["conveyor.order_id"] == journey.order.order_id
            assert tags["messaging.destination.name"] == tags["messaging.destination_publish.name"]
            assert tags["messaging.operation.type"] == "process"
            assert tags["messaging.consumer.group.name"]
            assert "messaging.kafka.offset" in tags
        topics.add(tags["messaging.destination_publish.name"].split("-", 1)[1])
    # Every hop of the journey, the carrier's way there and back included.
    code = journey.carrier.removeprefix("carrier-")
    assert {
        "checkout.orders.v1",
        "inventory.reservations.v1",
        "orders.lifecycle.v1",
        f"carrier.{code}.requests.v1",
        f"carrier.{code}.tracking.v1",
        "shipping.shipments.v1",
    } <= topics, topics

    # The services' publishes name the event and, but for stock levels (keyed by SKU, caused by
    # the order's reservation), the order; database spans sit inside.
    publishes = [
        _tags(s)
        for s in spans.values()
        if _tags(s).get("span.kind") == "producer" and service[s["spanID"]] in SERVICES
    ]
    assert publishes
    for tags in publishes:
        assert tags["messaging.message.id"]
        assert tags["messaging.operation.type"] == "send"
        if not tags["messaging.destination.name"].endswith("inventory.stock.v1"):
            assert tags["conveyor.order_id"] == journey.order.order_id, tags
    databases = {service[s["spanID"]] for s in spans.values() if "db.system" in _tags(s)}
    assert databases == SERVICES

    # No personal data anywhere in the trace.
    text = json.dumps(trace)
    recipient, address = journey.order.recipient, journey.order.ship_to
    for personal in (recipient.name, recipient.phone, *address.address_lines):
        assert personal not in text

    # The support timeline points at this trace.
    assert journey.timeline
    assert {entry["trace_id"] for entry in journey.timeline} == {trace["traceID"]}


async def test_a_carrier_event_without_trace_headers_starts_a_trace_linked_to_the_orders(
    servers: Servers, journey: Journey
) -> None:
    order_trace = (await _order_trace(servers, journey))["traceID"]

    async def linked() -> list[dict[str, Any]] | None:
        traces = await _search(servers, "shipping", journey.order.order_id)
        others = [t for t in traces if t["traceID"] != order_trace]
        return others or None

    others: list[dict[str, Any]] = await wait_for(linked, within=30, interval=0.25)  # type: ignore[assignment]
    assert len(others) == 1  # the untraced scan, and nothing else, left the order's trace
    spans = others[0]["spans"]
    event_ids = {_tags(s).get("messaging.message.id") for s in spans}
    assert str(journey.untraced_scan.event_id) in event_ids
    links = [
        (r["traceID"], r["refType"])
        for s in spans
        for r in s["references"]
        if r["traceID"] != others[0]["traceID"]
    ]
    assert (order_trace, "FOLLOWS_FROM") in links, links
