"""Receipts, reservations, shortage and release through real Kafka and the real database."""

import asyncio
import uuid

import httpx
from faststream.kafka.annotations import KafkaMessage
from inventory_fixtures import INVENTORY_TOPICS, Harness, event, running

from conveyor_contracts.orders import OrderAccepted, OrderCancelled
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, ORDER_LIFECYCLE, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import CreateTopics, Servers, wait_for

RESERVATIONS = INVENTORY_RESERVATIONS.name


def unique_sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:10].upper()}"


def accepted(order_id: str, sku: str, quantity: int) -> OrderAccepted:
    line = {
        "sku": sku,
        "quantity": quantity,
        "unit_price": {"amount_minor": 1999, "currency": "USD"},
    }
    return event(OrderAccepted, order_id=order_id, correlation_id=order_id, lines=[line])


async def receive(harness: Harness, sku: str, warehouse_id: str, units: int) -> None:
    received = event(
        GoodsReceived,
        sku=sku,
        warehouse_id=warehouse_id,
        quantity=units,
        receipt_ref=f"RCPT-{uuid.uuid4().hex[:8].upper()}",
    )
    await harness.publish(WAREHOUSE_RECEIPTS.name, received, key=sku)


async def next_event(queue: "asyncio.Queue[KafkaMessage]") -> object:
    message = await asyncio.wait_for(queue.get(), timeout=60)
    return INVENTORY_RESERVATIONS.adapter.validate_json(message.body)


async def wait_for_stock(harness: Harness, sku: str, on_hand: int) -> dict[str, object]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.app),
        base_url="http://inventory",
        headers=harness.operator,
    ) as http:

        async def reached() -> dict[str, object] | None:
            response = await http.get(f"/stock/{sku}")
            if response.status_code != 200:
                return None
            body: dict[str, object] = response.json()
            total = sum(w["on_hand"] for w in body["warehouses"])  # type: ignore[attr-defined]
            return body if total == on_hand else None

        return await wait_for(reached, within=60, interval=0.1)  # type: ignore[return-value]


async def test_receipts_then_an_accepted_order_reserve_stock_and_a_cancel_releases_it(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku, order_id = unique_sku(), f"ord_{uuid.uuid4().hex[:12]}"
    async with running(servers, kafka, namespace, (RESERVATIONS,)) as harness:
        await receive(harness, sku, "WH-US-NJ1", 5)
        await wait_for_stock(harness, sku, 5)
        await harness.publish(ORDER_LIFECYCLE.name, accepted(order_id, sku, 2), key=order_id)
        reserved = await next_event(harness.received[RESERVATIONS])
        cancelled = event(OrderCancelled, order_id=order_id, correlation_id=order_id)
        await harness.publish(ORDER_LIFECYCLE.name, cancelled, key=order_id)
        released = await next_event(harness.received[RESERVATIONS])
        stock = await wait_for_stock(harness, sku, 5)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=harness.app),
            base_url="http://inventory",
            headers=harness.operator,
        ) as http:
            missing = await http.get(f"/stock/{unique_sku()}")

    assert reserved.event_type == "StockReserved"
    assert released.event_type == "StockReleased"
    assert stock["warehouses"] == [
        {"warehouse_id": "WH-US-NJ1", "on_hand": 5, "reserved": 0, "available": 5}
        | {"seller_id": "sel_01J9ZA4S7K2L"}  # the receipts' (the contract's example) seller
    ]
    assert missing.status_code == 404


async def test_under_the_shortage_policy_an_order_the_market_cannot_cover_is_reported_short(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku, order_id = unique_sku(), f"ord_{uuid.uuid4().hex[:12]}"
    async with running(
        servers, kafka, namespace, (RESERVATIONS,), unfillable_policy="shortage"
    ) as harness:
        await receive(harness, sku, "WH-GB-LON1", 9)
        await wait_for_stock(harness, sku, 9)
        await harness.publish(ORDER_LIFECYCLE.name, accepted(order_id, sku, 2), key=order_id)
        short = await next_event(harness.received[RESERVATIONS])

    assert short.event_type == "StockShortage"
    assert short.order_id == order_id
