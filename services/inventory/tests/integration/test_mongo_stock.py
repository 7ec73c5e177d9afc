"""The Mongo stock store on FerretDB: conditional moves hold under concurrency and redelivery."""

import asyncio
from typing import Any

from mongo_stores import mongo_stock
from pymongo import AsyncMongoClient

from conveyor_testkit import Servers
from inventory.domain.stock import StockLevel

WH, SKU = "WH-US-NJ1", "RACE-SKU"


async def test_two_hundred_concurrent_reservations_of_fifty_units_hold_exactly_fifty(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        stock = mongo_stock(mongo, namespace)
        await stock.receive(WH, SKU, 50, "rcpt-1")
        results = await asyncio.gather(
            *(stock.reserve(WH, SKU, 1, f"rsv_{n:04d}") for n in range(200))
        )
        levels = await stock.levels(SKU)
    finally:
        await mongo.close()
    assert results.count(True) == 50
    assert levels == {WH: StockLevel(on_hand=50, reserved=50)}


async def test_redelivered_moves_change_stock_once(servers: Servers, namespace: str) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        stock = mongo_stock(mongo, namespace)
        assert await stock.receive(WH, SKU, 10, "rcpt-1") == StockLevel(10, 0)
        assert await stock.receive(WH, SKU, 10, "rcpt-1") is None
        assert await stock.reserve(WH, SKU, 4, "rsv_a")
        assert await stock.reserve(WH, SKU, 4, "rsv_a")
        assert await stock.ship(WH, SKU, 4, "rsv_a") == StockLevel(6, 0)
        assert await stock.ship(WH, SKU, 4, "rsv_a") is None
        assert await stock.count(WH, SKU, 3, "count-1") == StockLevel(3, 0)
        levels = await stock.levels(SKU)
    finally:
        await mongo.close()
    assert levels == {WH: StockLevel(on_hand=3, reserved=0)}


async def test_a_stock_document_from_before_the_outbox_is_moved_like_any_other(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        await mongo[f"{namespace}inventory"]["stock"].insert_one(
            {
                "_id": f"{WH}|{SKU}",
                "warehouse_id": WH,
                "sku": SKU,
                "on_hand": 5,
                "reserved": 1,
                "available": 4,
                "holds": {"rsv_old": 1},
                "applied": ["rcpt-old"],
            }
        )
        stock = mongo_stock(mongo, namespace)
        assert await stock.reserve(WH, SKU, 4, "rsv_new")
        assert await stock.release(WH, SKU, "rsv_old") == StockLevel(5, 4)
        levels = await stock.levels(SKU)
    finally:
        await mongo.close()
    assert levels == {WH: StockLevel(on_hand=5, reserved=4)}


async def test_levels_of_several_warehouses_and_skus_come_from_one_lookup(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        stock = mongo_stock(mongo, namespace)
        await stock.receive(WH, SKU, 5, "rcpt-1")
        await stock.receive(WH, "OTHER-SKU", 2, "rcpt-2")
        await stock.receive("WH-US-CA1", SKU, 7, "rcpt-3")
        await stock.receive("WH-GB-LON", SKU, 9, "rcpt-4")  # another market: not asked for
        await stock.reserve(WH, SKU, 1, "rsv_a")
        levels = await stock.levels_in([WH, "WH-US-CA1", "WH-US-TX1"], [SKU, "OTHER-SKU"])
    finally:
        await mongo.close()
    assert levels == {
        (WH, SKU): StockLevel(on_hand=5, reserved=1),
        (WH, "OTHER-SKU"): StockLevel(on_hand=2, reserved=0),
        ("WH-US-CA1", SKU): StockLevel(on_hand=7, reserved=0),
    }
