"""The Mongo stock store on FerretDB keeps whose stock each document is: set by the first receipt
naming a seller, kept, a conflicting receipt refused without a write; older documents read as
stock of no known seller."""

from typing import Any

import pytest
from mongo_stores import mongo_stock
from pymongo import AsyncMongoClient

from conveyor_testkit import Servers
from inventory.domain.stock import SellerConflictError, Shelf, StockLevel

WH, SKU, OLD = "WH-US-NJ1", "SELLER-SKU", "OLD-SKU"
ACME, OTHER = "sel_ACME0001", "sel_OTHER0002"


async def test_the_seller_is_stored_kept_and_a_conflicting_receipt_writes_nothing(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        stock = mongo_stock(mongo, namespace)
        assert await stock.receive(WH, SKU, 4, "rcpt-1", seller_id=ACME) == StockLevel(4, 0)
        assert await stock.receive(WH, SKU, 2, "rcpt-2") == StockLevel(6, 0)
        with pytest.raises(SellerConflictError):
            await stock.receive(WH, SKU, 9, "rcpt-3", seller_id=OTHER)
        # A fresh store reads the database, not this process's copy.
        fresh = mongo_stock(mongo, namespace)
        shelves = await fresh.shelves(SKU)
        shelves_in = await fresh.shelves_in([WH], [SKU])
        stored = await fresh.collection.find_one({"_id": f"{WH}|{SKU}"})
    finally:
        await mongo.close()
    assert shelves == {WH: Shelf(StockLevel(6, 0), ACME)}
    assert shelves_in == {(WH, SKU): Shelf(StockLevel(6, 0), ACME)}
    assert stored is not None
    assert stored["seller_id"] == ACME
    assert stored["applied"] == ["rcpt-1", "rcpt-2"]


async def test_a_document_stored_before_sellers_loads_without_one_and_takes_the_first(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        stock = mongo_stock(mongo, namespace)
        await stock.collection.insert_one(
            {
                "_id": f"{WH}|{OLD}",
                "warehouse_id": WH,
                "sku": OLD,
                "on_hand": 3,
                "reserved": 0,
                "available": 3,
                "holds": {},
                "applied": ["rcpt-old"],
                "moves": 1,
            }
        )
        before = await stock.shelves(OLD)
        assert await stock.reserve(WH, OLD, 1, "rsv_old")
        after_reserve = await stock.shelves(OLD)
        await stock.receive(WH, OLD, 2, "rcpt-new", seller_id=ACME)
        after_receipt = await mongo_stock(mongo, namespace).shelves(OLD)
    finally:
        await mongo.close()
    assert before == {WH: Shelf(StockLevel(3, 0), None)}
    assert after_reserve == {WH: Shelf(StockLevel(3, 1), None)}
    assert after_receipt == {WH: Shelf(StockLevel(5, 1), ACME)}
