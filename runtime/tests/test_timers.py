"""Durable timers on the real database: a due deadline fires once, even with two pollers; a
deadline this process writes fires on time without a sweep, and a moved one at its new time."""

import asyncio
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from pymongo import AsyncMongoClient

from conveyor_runtime.documents import OutboxDocuments
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from conveyor_runtime.timers import DUE_FIELD, TimerPoller
from conveyor_testkit import Servers


def _encode(value: dict[str, Any]) -> dict[str, Any]:
    return value


async def _no_publish(_: OutboxMessage) -> None:
    raise AssertionError("nothing is published here")


async def test_a_due_deadline_fires_once_across_two_pollers_and_a_future_one_waits(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url, tz_aware=True)
    collection = mongo[f"{namespace}timers"]["reminders"]
    now = datetime.now(UTC)
    fired: list[Hashable] = []

    # Shared: across processes only MongoDB's atomic conditional update makes the claim safe;
    # FerretDB does not isolate updates (tests/test_database_limits.py measures it).
    locks = KeyedLock()

    def poller() -> TimerPoller:
        documents = OutboxDocuments(
            collection,
            locks,
            OutboxRelay(MongoOutboxStore(collection), _no_publish, locks),
            encode=_encode,
            decode=_encode,
        )

        async def fire(key: Hashable, at: datetime) -> None:
            def handle(reminder: dict[str, Any]) -> tuple[dict[str, Any], list[OutboxMessage]]:
                if reminder[DUE_FIELD] is None or reminder[DUE_FIELD] > at:
                    return reminder, []
                return reminder | {DUE_FIELD: None, "done": at}, []

            after = await documents.update(str(key), handle)
            if after is not None and after.get("done") == at:
                fired.append(key)  # counted only once the write won the version check

        return TimerPoller(collection, fire)

    try:
        await collection.insert_many(
            [
                {"_id": "due", "version": 1, DUE_FIELD: now - timedelta(seconds=1)},
                {"_id": "later", "version": 1, DUE_FIELD: now + timedelta(hours=1)},
                {"_id": "idle", "version": 1, DUE_FIELD: None},
            ]
        )
        first, second = poller(), poller()
        assert await first.sweep() == 2  # "idle" has nothing due
        assert await second.sweep() == 2
        await asyncio.gather(first.fire_due(), second.fire_due())
        await first.fire_due()

        assert fired == ["due"]
        due = await collection.find_one({"_id": "due"})
        assert due is not None
        assert due[DUE_FIELD] is None
        assert due["done"] <= datetime.now(UTC)
        later = await collection.find_one({"_id": "later"})
        assert later is not None
        assert "done" not in later
    finally:
        await mongo.drop_database(f"{namespace}timers")
        await mongo.close()


async def test_deadlines_written_here_fire_at_their_time_without_a_sweep_and_moved_ones_move(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url, tz_aware=True)
    collection = mongo[f"{namespace}timers"]["reminders"]
    locks = KeyedLock()
    fired: dict[Hashable, datetime] = {}

    async def fire(key: Hashable, at: datetime) -> None:
        def handle(reminder: dict[str, Any]) -> tuple[dict[str, Any], list[OutboxMessage]]:
            if reminder[DUE_FIELD] is None or reminder[DUE_FIELD] > at:
                return reminder, []
            return reminder | {DUE_FIELD: None}, []

        before = await documents.get(str(key))
        after = await documents.update(str(key), handle)
        if before is not None and after is not None and before != after:
            fired[key] = datetime.now(UTC)

    # A sweep only after an hour: whatever fires here was learnt from the writes.
    poller = TimerPoller(collection, fire, sweep_seconds=3600)
    documents: OutboxDocuments[dict[str, Any]] = OutboxDocuments(
        collection,
        locks,
        OutboxRelay(MongoOutboxStore(collection), _no_publish, locks),
        encode=_encode,
        decode=_encode,
        on_stored=poller.stored,
    )
    running = asyncio.create_task(poller.run())
    try:
        await asyncio.sleep(0.2)  # the start-up sweep has found nothing
        start = datetime.now(UTC)
        await documents.insert({"_id": "soon", DUE_FIELD: start + timedelta(seconds=1)}, [])
        await documents.insert({"_id": "moved", DUE_FIELD: start + timedelta(seconds=1)}, [])
        await documents.insert({"_id": "cancelled", DUE_FIELD: start + timedelta(seconds=1)}, [])
        await documents.update(
            "moved", lambda r: (r | {DUE_FIELD: start + timedelta(seconds=3)}, [])
        )
        await documents.update("cancelled", lambda r: (r | {DUE_FIELD: None}, []))

        for _ in range(100):  # "moved" is due after 3 s; "cancelled" would have fired by then
            if {"soon", "moved"} <= fired.keys():
                break
            await asyncio.sleep(0.1)

        assert set(fired) == {"soon", "moved"}
        assert fired["soon"] >= start + timedelta(seconds=1)
        assert fired["moved"] >= start + timedelta(seconds=3)
        cancelled = await collection.find_one({"_id": "cancelled"})
        assert cancelled is not None
        assert cancelled[DUE_FIELD] is None
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await mongo.drop_database(f"{namespace}timers")
        await mongo.close()


async def test_a_poller_cancelled_as_a_deadline_is_scheduled_stops() -> None:
    # The same shutdown race as the relay's (see test_outbox): a write telling the poller a new
    # deadline and the app's cancellation in the same tick.
    async def fire(_: Hashable, __: datetime) -> None:
        raise AssertionError("nothing is due")

    poller = TimerPoller("reminders", fire, sweep_seconds=60)
    running = asyncio.create_task(poller.run())
    await asyncio.sleep(0.05)  # past the start sweep, waiting for a deadline
    poller.schedule("order-1", datetime.now(UTC) + timedelta(hours=1), None)
    running.cancel()
    done, _ = await asyncio.wait({running}, timeout=2)
    assert done, "the poller went on running after it was cancelled"


async def test_the_known_deadlines_gauge_counts_what_the_poller_will_fire_retries_included() -> (
    None
):
    """0 means nothing fires here until a write or a sweep brings a deadline: how a test tells
    a second firing cannot come, rather than waiting a while and hoping."""
    registry = CollectorRegistry()
    known = Gauge("known", "", ("collection",), registry=registry)
    attempts: list[Hashable] = []

    async def fire(key: Hashable, now: datetime) -> None:
        attempts.append(key)
        if len(attempts) == 1:
            raise RuntimeError("the database blinked")

    poller = TimerPoller("reminders", fire, retry_seconds=0.0, known=known.labels("reminders"))

    def scraped() -> float | None:
        return registry.get_sample_value("known", {"collection": "reminders"})

    past = datetime.now(UTC) - timedelta(seconds=1)
    poller.schedule("a", past, None)
    poller.schedule("b", past + timedelta(days=1), None)
    assert scraped() == 2
    await poller.fire_due()  # "a" fails: scheduled again for its retry
    assert (attempts, scraped()) == (["a"], 2)
    await poller.fire_due()
    assert (attempts, scraped()) == (["a", "a"], 1)
    poller.schedule("b", None, None)  # its write says nothing is due any more
    assert scraped() == 0
