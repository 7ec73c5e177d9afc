"""Carriers' daily capacity on the real database: the limit holds, a retried booking counts once,
and a claim costs one operation."""

import asyncio
from datetime import date
from typing import Any

from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import KeyedLock, build_mongo_client
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import Servers
from shipping.adapters.mongo_capacity import MongoCarrierCapacity

DAY = date(2026, 12, 1)


async def test_the_limit_holds_and_a_retried_booking_is_counted_once(
    servers: Servers, namespace: str
) -> None:
    metrics = MessagingMetrics()
    mongo: Any = build_mongo_client(
        servers.mongo_url, build_tracer_provider("test", None), metrics=metrics
    )
    try:
        capacity = MongoCarrierCapacity(mongo[f"{namespace}shipping"]["capacity"], KeyedLock())
        assert await capacity.claim("swiftpost", DAY, "shp_a", 2)
        updates = metrics.registry.get_sample_value(
            "conveyor_db_commands_total", {"command": "update"}
        )
        assert updates == 1  # the day's first claim creates its document in the same operation
        assert await capacity.claim("swiftpost", DAY, "shp_a", 2)  # a retry: still counted once
        assert await capacity.claim("swiftpost", DAY, "shp_b", 2)
        assert not await capacity.claim("swiftpost", DAY, "shp_c", 2)  # full
        assert await capacity.claim("swiftpost", DAY, "shp_b", 2)  # a retry of a counted one
        assert not await capacity.claim("maplefreight", DAY, "shp_d", 0)
        stored = await mongo[f"{namespace}shipping"]["capacity"].find_one(
            {"_id": f"capacity:swiftpost:{DAY.isoformat()}"}
        )
    finally:
        await mongo.drop_database(f"{namespace}shipping")
        await mongo.close()
    assert (stored["count"], sorted(stored["shipments"])) == (2, ["shp_a", "shp_b"])


async def test_concurrent_claims_never_pass_the_limit(servers: Servers, namespace: str) -> None:
    mongo: Any = build_mongo_client(servers.mongo_url, build_tracer_provider("test", None))
    try:
        capacity = MongoCarrierCapacity(mongo[f"{namespace}shipping"]["capacity"], KeyedLock())
        results = await asyncio.gather(
            *(capacity.claim("swiftpost", DAY, f"shp_{n}", 5) for n in range(20))
        )
    finally:
        await mongo.drop_database(f"{namespace}shipping")
        await mongo.close()
    assert results.count(True) == 5


async def test_a_released_pickup_can_be_taken_again_and_a_repeated_release_frees_nothing(
    servers: Servers, namespace: str
) -> None:
    mongo: Any = build_mongo_client(servers.mongo_url, build_tracer_provider("test", None))
    try:
        collection = mongo[f"{namespace}shipping"]["capacity"]
        capacity = MongoCarrierCapacity(collection, KeyedLock())
        assert await capacity.claim("swiftpost", DAY, "shp_a", 2)
        assert await capacity.claim("swiftpost", DAY, "shp_b", 2)
        assert not await capacity.claim("swiftpost", DAY, "shp_c", 2)  # full
        await capacity.release("swiftpost", DAY, "shp_a")  # declined, or lost to a race
        await capacity.release("swiftpost", DAY, "shp_a")  # the same release again
        await capacity.release("swiftpost", DAY, "shp_x")  # never counted: nothing to free
        await capacity.release("maplefreight", DAY, "shp_a")  # no document that day
        assert await capacity.claim("swiftpost", DAY, "shp_c", 2)
        assert not await capacity.claim("swiftpost", DAY, "shp_d", 2)
        stored = await collection.find_one({"_id": f"capacity:swiftpost:{DAY.isoformat()}"})
    finally:
        await mongo.drop_database(f"{namespace}shipping")
        await mongo.close()
    assert (stored["count"], sorted(stored["shipments"])) == (2, ["shp_b", "shp_c"])
