"""200 buyers race for 50 units through real Kafka and FerretDB: exactly 50 win, none oversold."""

import asyncio
import uuid
from typing import Any

from inventory_fixtures import INVENTORY_TOPICS, event, running
from pymongo import AsyncMongoClient

from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, ORDER_LIFECYCLE, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import CreateTopics, Servers, wait_for

BUYERS, UNITS = 200, 50


async def test_two_hundred_concurrent_orders_for_fifty_units_reserve_exactly_fifty(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku = f"FLASH-{uuid.uuid4().hex[:10].upper()}"
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        level = await _race(harness_args=(servers, kafka, namespace), sku=sku, mongo=mongo)
    finally:
        await mongo.close()
    outcomes, stored = level
    assert outcomes.count("StockReserved") == UNITS
    assert outcomes.count("StockShortage") == BUYERS - UNITS
    assert stored is not None
    assert (stored["on_hand"], stored["reserved"], stored["available"]) == (UNITS, UNITS, 0)


async def _race(
    harness_args: tuple[Servers, str, str], sku: str, mongo: AsyncMongoClient[dict[str, Any]]
) -> tuple[list[str], dict[str, Any] | None]:
    name = INVENTORY_RESERVATIONS.name
    # Shortage, not backorder: the 150 losers are reported short at once.
    async with running(*harness_args, (name,), unfillable_policy="shortage") as harness:
        receipt = event(
            GoodsReceived, sku=sku, warehouse_id="WH-US-NJ1", quantity=UNITS, receipt_ref="FLASH-1"
        )
        await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)
        stock = mongo[harness.settings.mongo_database]
        await wait_for(
            lambda: stock["stock"].find_one({"sku": sku, "on_hand": UNITS}), within=60, interval=0.1
        )
        line = {"sku": sku, "quantity": 1, "unit_price": {"amount_minor": 999, "currency": "USD"}}
        orders = [
            event(OrderAccepted, order_id=oid, correlation_id=oid, lines=[line])
            for oid in (f"ord_flash_{uuid.uuid4().hex[:12]}" for _ in range(BUYERS))
        ]
        await asyncio.gather(
            *(harness.publish(ORDER_LIFECYCLE.name, o, key=o.order_id) for o in orders)
        )
        outcomes = [
            INVENTORY_RESERVATIONS.adapter.validate_json(
                (await asyncio.wait_for(harness.received[name].get(), timeout=60)).body
            ).event_type
            for _ in range(BUYERS)
        ]
        level = await stock["stock"].find_one({"sku": sku})

    return outcomes, level
