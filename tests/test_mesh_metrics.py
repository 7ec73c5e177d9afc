"""What the services' /metrics say about a flow on the real broker and database: counters move
by the flow's facts (once each, even for a redelivered order), lag and outbox backlog return to
zero when idle, an order left waiting is counted and listed as stuck. (The alert rules over these
metrics: test_mesh_metrics_rules.py.)"""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest_asyncio
from doorstep_mesh import NEW_YORK, Mesh, running_mesh
from prometheus_client.parser import text_string_to_metric_families

from conveyor_contracts.topics import CHECKOUT_ORDERS, ORDER_LIFECYCLE, SHIPPING_SHIPMENTS
from conveyor_testkit import Servers, wait_for

SERVICES = ("orders", "inventory", "shipping", "support")
STUCK_AFTER_S = 1.0  # the booked allowance, tiny so an order left waiting is stuck at once

Samples = list[tuple[str, dict[str, str], float]]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    async with running_mesh(
        servers,
        kafka,
        orders_settings={
            "stuck_after_seconds": {"booked": STUCK_AFTER_S},
            "order_gauges_seconds": 0.5,
        },
        every_service={"lag_poll_seconds": 0.5, "outbox_sweep_seconds": 0.5},
    ) as running:
        yield running


async def scrape(mesh: Mesh, service: str) -> Samples:
    response = await mesh.call(service, "GET", "/metrics")
    assert response.status_code == 200
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(
        value
        for sample_name, sample_labels, value in samples
        if sample_name == name and labels.items() <= sample_labels.items()
    )


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def test_a_flow_moves_each_counter_by_its_facts(mesh: Mesh) -> None:
    before = {service: await scrape(mesh, service) for service in SERVICES}
    checkout = mesh.prefix + CHECKOUT_ORDERS.name
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 5)

    # Delivered, its OrderPlaced sent twice (a checkout retry): one order, one reservation.
    delivered = await mesh.place([(item, 1)])
    await mesh.publish(CHECKOUT_ORDERS.name, delivered, delivered.order_id)
    booking = await mesh.request("libertyparcel", delivered.order_id)
    await mesh.accept("libertyparcel", booking)
    for status in ("picked_up", "delivered"):
        await mesh.report("libertyparcel", mesh.scan(booking, status, datetime.now(UTC)))
    await mesh.until_status(delivered.order_id, "delivered")

    # Rejected by orders' rules, and a message that is not an event at all: dead-lettered.
    rejected = await mesh.place([(item, 1)], ship_to={**NEW_YORK, "postal_code": "ABCDE"})
    await mesh.until_status(rejected.order_id, "rejected")
    await mesh.client.publish(b"{not an event", topic=checkout, key=b"ord_garbage")

    # Declined by its first carrier and rebooked with another, who never answers.
    declined = await mesh.place([(item, 1)])
    await mesh.decline("libertyparcel", await mesh.request("libertyparcel", declined.order_id))
    await mesh.until_event(SHIPPING_SHIPMENTS.name, declined.order_id, "ShipmentRebooked")

    expected: dict[str, list[tuple[str, dict[str, str], float]]] = {
        "orders": [
            ("conveyor_messages_consumed_total", {"topic": checkout, "outcome": "ok"}, 4),
            (
                "conveyor_messages_consumed_total",
                {"topic": checkout, "outcome": "dead_lettered"},
                1,
            ),
            ("conveyor_messages_dead_lettered_total", {"topic": checkout}, 1),
            ("conveyor_handler_seconds_count", {"topic": checkout}, 5),
            (
                "conveyor_messages_produced_total",
                {"topic": mesh.prefix + ORDER_LIFECYCLE.name},
                3,  # accepted twice, rejected once; the repeated OrderPlaced emits nothing
            ),
        ],
        "inventory": [
            ("conveyor_stock_reservations_total", {"outcome": "reserved"}, 2),
            ("conveyor_stock_reservations_total", {"outcome": "short"}, 0),
        ],
        "shipping": [
            ("conveyor_bookings_declined_total", {"carrier": "libertyparcel"}, 1),
            ("conveyor_bookings_declined_total", {"carrier": "swiftpost"}, 0),
            ("conveyor_sla_breaches_total", {}, 0),
        ],
    }

    async def moved_as_expected() -> bool:
        for service, wanted in expected.items():
            after = await scrape(mesh, service)
            for name, labels, delta in wanted:
                if total(after, name, **labels) - total(before[service], name, **labels) != delta:
                    return False
        return True

    try:
        await wait_for(moved_as_expected, within=30, interval=0.5)
    except AssertionError:
        report = []
        for service, wanted in expected.items():
            after = await scrape(mesh, service)
            for name, labels, delta in wanted:
                moved = total(after, name, **labels) - total(before[service], name, **labels)
                report.append(f"{service} {name}{labels}: moved {moved}, expected {delta}")
        raise AssertionError("\n".join(report)) from None

    async def by_state() -> dict[str, float]:
        samples = await scrape(mesh, "orders")
        return {
            state: total(samples, "conveyor_orders_by_state", state=state)
            for state in ("delivered", "rejected", "booked", "accepted", "reserved")
        }

    wanted_states = {"delivered": 1, "rejected": 1, "booked": 1, "accepted": 0, "reserved": 0}

    async def counted() -> bool:
        return await by_state() == wanted_states

    try:
        await wait_for(counted, within=15, interval=0.5)
    except AssertionError:
        raise AssertionError(f"orders by state: {await by_state()}") from None


async def test_lag_and_outbox_backlog_are_exposed_and_return_to_zero_when_idle(
    mesh: Mesh,
) -> None:
    # Some work for every consumer first, so the gauges describe committed positions.
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    order = await mesh.place([(item, 1)])
    await mesh.request("libertyparcel", order.order_id)
    # The collections whose documents keep an outbox: support's timelines (a read model) emit
    # nothing, so they have none.
    collections = {
        "orders": {"orders"},
        "inventory": {"reservations", "stock", "inbound_shipments"},
        "shipping": {"fulfilments"},
        "support": {"cases"},
    }

    for service in SERVICES:

        async def idle(service: str = service) -> Samples | None:
            samples = await scrape(mesh, service)
            lag = [s for s in samples if s[0] == "conveyor_consumer_lag"]
            backlog = [s for s in samples if s[0] == "conveyor_outbox_pending"]
            if not lag or any(value != 0 for _, _, value in lag + backlog):
                return None
            return samples

        try:
            samples = await wait_for(idle, within=30, interval=0.5)
        except AssertionError:
            now = [s for s in await scrape(mesh, service) if "lag" in s[0] or "pending" in s[0]]
            raise AssertionError(f"{service} not idle: {now}") from None
        assert isinstance(samples, list)
        lag_labels = [labels for name, labels, _ in samples if name == "conveyor_consumer_lag"]
        assert all(labels["group"].startswith(mesh.prefix) for labels in lag_labels)
        assert all(labels["topic"].startswith(mesh.prefix) for labels in lag_labels)
        consumed = {
            labels["topic"]
            for name, labels, _ in samples
            if name == "conveyor_messages_consumed_total"
        }
        assert consumed <= {labels["topic"] for labels in lag_labels}  # every topic it reads
        assert {
            labels["collection"] for name, labels, _ in samples if name.endswith("pending")
        } == (collections[service])
    inventory_lag = [
        labels
        for name, labels, _ in await scrape(mesh, "inventory")
        if name == "conveyor_consumer_lag"
    ]
    # The test topics have up to 3 partitions: each is measured on its own.
    assert len({labels["partition"] for labels in inventory_lag}) > 1


async def test_an_order_left_waiting_is_counted_and_listed_as_stuck(mesh: Mesh) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    waiting = await mesh.place([(item, 1)])
    await mesh.request("libertyparcel", waiting.order_id)  # booked, and the carrier never answers
    await mesh.until_status(waiting.order_id, "booked")

    async def listed() -> dict[str, Any] | None:
        listing = await mesh.get("orders", "/stuck-orders")
        assert listing is not None
        mine = [item for item in listing["orders"] if item["order_id"] == waiting.order_id]
        return mine[0] if mine else None

    entry = await wait_for(listed, within=15, interval=0.5)
    assert isinstance(entry, dict)
    assert set(entry) == {
        "order_id", "status", "since", "allowed_seconds", "waiting_seconds", "trace_id",
    }  # fmt: skip
    assert entry["status"] == "booked"
    assert entry["allowed_seconds"] == STUCK_AFTER_S
    assert entry["waiting_seconds"] > STUCK_AFTER_S
    assert re.fullmatch(r"[0-9a-f]{32}", entry["trace_id"])

    listing = await mesh.get("orders", "/stuck-orders")
    stuck_booked = sum(1 for item in listing["orders"] if item["status"] == "booked")
    text = str(listing)
    assert waiting.ship_to.address_lines[0] not in text
    assert waiting.recipient.name not in text

    async def gauge_agrees() -> bool:
        samples = await scrape(mesh, "orders")
        return total(samples, "conveyor_orders_stuck", state="booked") == stuck_booked

    await wait_for(gauge_agrees, within=15, interval=0.5)
