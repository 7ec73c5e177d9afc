"""Backorders and stock events through real Kafka and FerretDB: a later receipt fills a backorder
once, an unfilled one is reported short once its bound passes (durable timer), and every stock
move is published with low-stock alerts."""

import asyncio
import uuid
from typing import Any

from inventory_fixtures import INVENTORY_TOPICS, Harness, event, running
from pymongo import AsyncMongoClient

from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.stock import LowStockDetected, StockLevelChanged
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    INVENTORY_STOCK,
    ORDER_LIFECYCLE,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import CreateTopics, Servers, wait_for

RESERVATIONS, STOCK = INVENTORY_RESERVATIONS.name, INVENTORY_STOCK.name
# Short bounds so the timer's deadline passes inside the test; the test waits for the outcome,
# never for a duration.
FAST_TIMERS: dict[str, Any] = {"backorder_max_wait_seconds": 2}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def accepted(order_id: str, sku: str, quantity: int) -> OrderAccepted:
    line = {
        "sku": sku,
        "quantity": quantity,
        "unit_price": {"amount_minor": 999, "currency": "USD"},
    }
    return event(OrderAccepted, order_id=order_id, correlation_id=order_id, lines=[line])


def goods_received(sku: str, warehouse_id: str, units: int) -> GoodsReceived:
    ref = unique("GRN-")
    return event(GoodsReceived, sku=sku, warehouse_id=warehouse_id, quantity=units, receipt_ref=ref)


class Reader:
    """Reservation events as they arrive, remembered per order."""

    def __init__(self, harness: Harness) -> None:
        self.queue = harness.received[RESERVATIONS]
        self.seen: dict[str, list[Any]] = {}

    async def next_for(self, order_id: str, event_type: str) -> Any:
        while not any(e.event_type == event_type for e in self.seen.get(order_id, [])):
            message = await asyncio.wait_for(self.queue.get(), timeout=60)
            parsed = INVENTORY_RESERVATIONS.adapter.validate_json(message.body)
            self.seen.setdefault(parsed.order_id, []).append(parsed)
        return next(e for e in self.seen[order_id] if e.event_type == event_type)

    def drain(self) -> None:
        while not self.queue.empty():
            parsed = INVENTORY_RESERVATIONS.adapter.validate_json(self.queue.get_nowait().body)
            self.seen.setdefault(parsed.order_id, []).append(parsed)

    def types(self, order_id: str) -> list[str]:
        return [e.event_type for e in self.seen.get(order_id, [])]


async def stock_document(
    mongo: AsyncMongoClient[dict[str, Any]], harness: Harness, warehouse_id: str, sku: str
) -> dict[str, Any] | None:
    collection = mongo[harness.settings.mongo_database]["stock"]
    return await collection.find_one({"_id": f"{warehouse_id}|{sku}"})


async def test_a_backorder_is_reserved_when_a_later_receipt_covers_it(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku, order_id = unique("SKU-"), f"ord_{uuid.uuid4().hex[:12]}"
    async with running(servers, kafka, namespace, (RESERVATIONS,)) as harness:
        reader = Reader(harness)
        await harness.publish(ORDER_LIFECYCLE.name, accepted(order_id, sku, 3), key=order_id)
        backordered = await reader.next_for(order_id, "StockBackordered")
        receipt = goods_received(sku, "WH-US-CA1", 5)
        await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)
        reserved = await reader.next_for(order_id, "StockReserved")

    assert [(s.sku, s.requested, s.available) for s in backordered.short_lines] == [(sku, 3, 0)]
    assert backordered.expected_by is not None
    assert reserved.causation_id == receipt.event_id
    assert [(a.warehouse_id, a.lines[0].quantity) for a in reserved.allocations] == [
        ("WH-US-CA1", 3)
    ]
    assert reader.types(order_id) == ["StockBackordered", "StockReserved"]


async def test_a_backorder_past_its_bound_is_reported_short_exactly_once(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku, order_id, later_id = (
        unique("SKU-"),
        f"ord_{uuid.uuid4().hex[:12]}",
        f"ord_{uuid.uuid4().hex[:12]}",
    )
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url, tz_aware=True)
    try:
        async with running(servers, kafka, namespace, (RESERVATIONS,), **FAST_TIMERS) as harness:
            reader = Reader(harness)
            await harness.publish(ORDER_LIFECYCLE.name, accepted(order_id, sku, 1), key=order_id)
            await reader.next_for(order_id, "StockBackordered")
            shortage = await reader.next_for(order_id, "StockShortage")
            # A second backorder, placed after the first was reported: once its own bound has
            # passed, the poller has looked at the first one many times since.
            await harness.publish(ORDER_LIFECYCLE.name, accepted(later_id, sku, 1), key=later_id)
            await reader.next_for(later_id, "StockShortage")
            # Stock that would cover it now reserves nothing for an order already reported short.
            await harness.publish(
                WAREHOUSE_RECEIPTS.name, goods_received(sku, "WH-US-NJ1", 5), key=sku
            )
            await wait_for(
                lambda: stock_document(mongo, harness, "WH-US-NJ1", sku), within=60, interval=0.1
            )
            reader.drain()
            stored = await mongo[harness.settings.mongo_database]["reservations"].find_one(
                {"_id": order_id}
            )
            level = await stock_document(mongo, harness, "WH-US-NJ1", sku)
    finally:
        await mongo.close()

    assert reader.types(order_id) == ["StockBackordered", "StockShortage"]
    assert [(s.sku, s.requested, s.available) for s in shortage.short_lines] == [(sku, 1, 0)]
    assert stored is not None
    assert stored["status"] == "short"
    assert stored["due_at"] is None
    assert level is not None
    assert level["reserved"] == 0


async def test_stock_moves_are_published_with_a_low_stock_alert_on_the_way_down(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku, order_id = unique("SKU-"), f"ord_{uuid.uuid4().hex[:12]}"
    async with running(servers, kafka, namespace, (RESERVATIONS, STOCK)) as harness:
        reader = Reader(harness)
        receipt = goods_received(sku, "WH-US-NJ1", 8)
        await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)
        await harness.publish(ORDER_LIFECYCLE.name, accepted(order_id, sku, 4), key=order_id)
        await reader.next_for(order_id, "StockReserved")
        stock_events = []
        for _ in range(3):  # level after the receipt, level after the hold, the alert
            message = await asyncio.wait_for(harness.received[STOCK].get(), timeout=60)
            assert message.raw_message.key == sku.encode()
            stock_events.append(INVENTORY_STOCK.adapter.validate_json(message.body))

    changes = [e for e in stock_events if isinstance(e, StockLevelChanged)]
    lows = [e for e in stock_events if isinstance(e, LowStockDetected)]
    assert [(e.cause, e.on_hand, e.reserved, e.available) for e in changes] == [
        ("goods_received", 8, 0, 8),
        ("reserved", 8, 4, 4),
    ]
    assert changes[0].causation_id == receipt.event_id
    assert [(e.warehouse_id, e.available, e.threshold) for e in lows] == [("WH-US-NJ1", 4, 5)]


async def test_a_redelivered_receipt_fills_nothing_twice(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku, order_id = unique("SKU-"), f"ord_{uuid.uuid4().hex[:12]}"
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        async with running(servers, kafka, namespace, (RESERVATIONS,)) as harness:
            reader = Reader(harness)
            await harness.publish(ORDER_LIFECYCLE.name, accepted(order_id, sku, 2), key=order_id)
            await reader.next_for(order_id, "StockBackordered")
            receipt = goods_received(sku, "WH-US-NJ1", 5)
            await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)
            await reader.next_for(order_id, "StockReserved")
            await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)  # the redelivery
            # Same key, same partition: once this later receipt is applied, the redelivery was.
            await harness.publish(
                WAREHOUSE_RECEIPTS.name, goods_received(sku, "WH-US-NJ1", 1), key=sku
            )

            async def applied() -> dict[str, Any] | None:
                document = await stock_document(mongo, harness, "WH-US-NJ1", sku)
                return document if document and len(document["applied"]) == 2 else None

            level = await wait_for(applied, within=60, interval=0.1)
            reader.drain()
    finally:
        await mongo.close()

    assert isinstance(level, dict)
    assert (level["on_hand"], level["reserved"], level["available"]) == (6, 2, 4)
    assert list(level["holds"].values()) == [2]
    assert reader.types(order_id) == ["StockBackordered", "StockReserved"]
