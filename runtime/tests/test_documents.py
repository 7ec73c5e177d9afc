"""The write path on the real database: what a change costs, and what happens when another
process wrote the document in between."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import ConcurrentUpdateError, OutboxDocuments
from conveyor_runtime.key_scope import coalescing
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import STATEMENTS_PER_COMMAND, KeyedLock, build_mongo_client
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import Servers, wait_for

Counter = dict[str, Any]


def _same(value: Counter) -> Counter:
    return value


async def _published(_: OutboxMessage) -> None:
    pass


def _event(n: int) -> OutboxMessage:
    return OutboxMessage(
        event_id=f"e{n}", event_type="Counted", topic="t", key="k", payload=f'{{"n": {n}}}'
    )


def _increment(counter: Counter) -> tuple[Counter, list[OutboxMessage]]:
    return counter | {"n": counter["n"] + 1}, []


@pytest.fixture
async def client(servers: Servers, namespace: str) -> AsyncIterator[tuple[Any, MessagingMetrics]]:
    metrics = MessagingMetrics()
    mongo = build_mongo_client(
        servers.mongo_url, build_tracer_provider("test", None), metrics=metrics
    )
    yield mongo, metrics
    await mongo.drop_database(f"{namespace}documents")
    await mongo.close()


def _documents(collection: AsyncCollection[dict[str, Any]]) -> OutboxDocuments[Counter]:
    locks = KeyedLock()
    relay = OutboxRelay(MongoOutboxStore(collection), _published, locks)
    return OutboxDocuments(collection, locks, relay, encode=_same, decode=_same)


def _commands(metrics: MessagingMetrics) -> dict[str, float]:
    return {
        sample.labels["command"]: sample.value
        for family in metrics.registry.collect()
        if family.name == "conveyor_db_commands"
        for sample in family.samples
        if sample.name == "conveyor_db_commands_total"
    }


async def test_changing_a_document_this_process_wrote_costs_one_operation(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, metrics = client
    documents = _documents(mongo[f"{namespace}documents"]["counters"])
    await documents.insert({"_id": "c1", "n": 0}, [])
    before = _commands(metrics)
    for _ in range(5):
        await documents.update("c1", _increment)
    after = _commands(metrics)
    assert after.get("update", 0) - before.get("update", 0) == 5
    assert after.get("find", 0) == before.get("find", 0)  # nothing read back
    assert (await documents.get("c1")) == {"_id": "c1", "n": 5}


async def test_a_document_another_process_changed_is_read_again_and_nothing_is_lost(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, _ = client
    collection = mongo[f"{namespace}documents"]["counters"]
    here, elsewhere = _documents(collection), _documents(collection)  # two processes' caches
    await here.insert({"_id": "c1", "n": 0}, [])
    await here.update("c1", _increment)  # cached here at n=1
    await elsewhere.update("c1", _increment)  # n=2, unknown to `here`
    await here.update("c1", _increment)
    stored = await collection.find_one({"_id": "c1"})
    assert stored is not None
    assert stored["n"] == 3


async def test_a_change_with_nothing_to_do_on_the_cached_copy_asks_the_database(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, _ = client
    collection = mongo[f"{namespace}documents"]["counters"]
    here, elsewhere = _documents(collection), _documents(collection)
    await here.insert({"_id": "c1", "n": 0, "open": False}, [])
    await here.update("c1", _increment)  # cached here: closed

    def opened(counter: Counter) -> tuple[Counter, list[OutboxMessage]]:
        return counter | {"open": True}, []

    def close_if_open(counter: Counter) -> tuple[Counter, list[OutboxMessage]]:
        return (counter | {"open": False}, [_event(1)]) if counter["open"] else (counter, [])

    await elsewhere.update("c1", opened)
    after = await here.update("c1", close_if_open)  # stale copy says closed: nothing to do
    assert after is not None
    assert after["open"] is False
    stored = await collection.find_one({"_id": "c1"})
    assert stored is not None
    assert stored["open"] is False
    assert [entry["event_id"] for entry in stored["outbox"]] == ["e1"]


async def test_the_relay_removes_many_documents_published_entries_in_few_bulk_writes(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, metrics = client
    collection = mongo[f"{namespace}documents"]["counters"]
    locks = KeyedLock()
    published: list[str] = []

    async def publish(message: OutboxMessage) -> None:
        await asyncio.sleep(0.001)  # a broker round trip, during which removals queue up
        published.append(message.event_id)

    relay = OutboxRelay(MongoOutboxStore(collection), publish, locks)
    documents = OutboxDocuments(collection, locks, relay, encode=_same, decode=_same)
    count = 3 * STATEMENTS_PER_COMMAND
    for n in range(count):
        await documents.insert({"_id": f"c{n}", "n": 0}, [_event(n)])
    before = _commands(metrics)
    task = asyncio.create_task(relay.run())

    async def drained() -> bool:
        return not await collection.count_documents({"outbox.0": {"$exists": True}})

    try:
        await wait_for(drained, within=30, interval=0.05)
    finally:
        task.cancel()
    assert sorted(published) == sorted(f"e{n}" for n in range(count))
    updates = _commands(metrics).get("update", 0) - before.get("update", 0)
    assert updates < count / 4  # one $pullAll per document would be `count`


def _counted(counter: Counter) -> tuple[Counter, list[OutboxMessage]]:
    n = counter["n"] + 1
    return counter | {"n": n}, [_event(n)]


async def test_changes_held_for_the_documents_key_are_written_once_with_all_their_events(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, metrics = client
    collection = mongo[f"{namespace}documents"]["counters"]
    locks = KeyedLock()
    relay = OutboxRelay(MongoOutboxStore(collection), _published, locks)
    documents = OutboxDocuments(
        collection, locks, relay, encode=_same, decode=_same, coalesced=True
    )
    await documents.insert({"_id": "c1", "n": 0}, [])
    await documents.insert({"_id": "c2", "n": 0}, [])
    before = _commands(metrics)
    with coalescing("c1") as scope:
        for _ in range(3):
            await documents.update("c1", _counted)
        await documents.update("c2", _counted)  # not the scope's key: written at once
        assert await documents.get("c1") == {"_id": "c1", "n": 3}
        stored = await collection.find_one({"_id": "c1"})
        assert stored is not None
        assert stored["n"] == 0  # held, not written yet
        await scope.flush()
    writes = _commands(metrics).get("update", 0) - before.get("update", 0)
    assert writes == 2  # c1 once for three changes, c2 once
    stored = await collection.find_one({"_id": "c1"})
    assert stored is not None
    assert (stored["n"], stored["version"]) == (3, 2)
    assert [entry["event_id"] for entry in stored["outbox"]] == ["e1", "e2", "e3"]


async def test_held_changes_are_not_written_over_another_processs_write(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, _ = client
    collection = mongo[f"{namespace}documents"]["counters"]
    locks = KeyedLock()
    relay = OutboxRelay(MongoOutboxStore(collection), _published, locks)
    here = OutboxDocuments(collection, locks, relay, encode=_same, decode=_same, coalesced=True)
    elsewhere = _documents(collection)
    await here.insert({"_id": "c1", "n": 0}, [])
    with coalescing("c1") as scope:
        await here.update("c1", _counted)
        await elsewhere.update("c1", _increment)  # another process, meanwhile
        with pytest.raises(ConcurrentUpdateError):
            await scope.flush()
    stored = await collection.find_one({"_id": "c1"})
    assert stored is not None
    assert (stored["n"], stored["outbox"]) == (1, [])  # the other write, nothing of the held one
    assert await here.update("c1", _counted) == {"_id": "c1", "n": 2}


async def test_changes_of_many_documents_at_once_go_in_few_commands_and_stale_ones_are_redone(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, metrics = client
    collection = mongo[f"{namespace}documents"]["counters"]
    here, elsewhere = _documents(collection), _documents(collection)
    count = 60
    inserted = await asyncio.gather(
        *(here.insert({"_id": f"c{n}", "n": 0}, []) for n in range(count)),
        here.insert({"_id": "c0", "n": 0}, []),  # taken: told so, the others stored
    )
    assert inserted == [True] * count + [False]
    for n in range(0, count, 3):  # another process moves a third of them on
        await elsewhere.update(f"c{n}", _increment)
    before = _commands(metrics)
    await asyncio.gather(*(here.update(f"c{n}", _increment) for n in range(count)))
    after = _commands(metrics)
    stored = {doc["_id"]: doc["n"] async for doc in collection.find({})}
    assert stored == {f"c{n}": 2 if n % 3 == 0 else 1 for n in range(count)}
    # One bulk update for the 60, then the stale third read in one find and written again.
    assert after.get("update", 0) - before.get("update", 0) <= 4
    assert after.get("find", 0) - before.get("find", 0) <= 4


async def test_documents_read_at_the_same_time_are_read_with_one_query(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, metrics = client
    collection = mongo[f"{namespace}documents"]["counters"]
    await collection.insert_many([{"_id": f"c{n}", "n": n, "version": 1} for n in range(50)])
    cold = _documents(collection)  # a process that has cached none of them
    before = _commands(metrics)
    found = await asyncio.gather(*(cold.get(f"c{n}") for n in range(50)), cold.get("missing"))
    assert found == [{"_id": f"c{n}", "n": n} for n in range(50)] + [None]
    assert _commands(metrics).get("find", 0) - before.get("find", 0) <= 2


async def test_a_change_that_refuses_a_stale_cached_copy_is_tried_on_the_stored_one(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    mongo, _ = client
    collection = mongo[f"{namespace}documents"]["counters"]
    here, elsewhere = _documents(collection), _documents(collection)  # two instances
    await here.insert({"_id": "c1", "n": 0, "parts": []}, [])  # cached here without the part

    def part_added(counter: Counter) -> tuple[Counter, list[OutboxMessage]]:
        return counter | {"parts": ["p1"]}, []

    def scanned(counter: Counter) -> tuple[Counter, list[OutboxMessage]]:
        if "p1" not in counter["parts"]:
            raise LookupError("a part this document does not have")
        return counter | {"n": counter["n"] + 1}, []

    await elsewhere.update("c1", part_added)  # the other instance adds it
    after = await here.update("c1", scanned)
    assert after is not None
    assert after["n"] == 1
    with pytest.raises(LookupError):  # refused on the stored document too: the change's answer
        await here.update("c1", lambda counter: scanned(counter | {"parts": []}))


async def test_a_collection_without_a_relay_stores_changes_and_refuses_events_before_writing(
    client: tuple[Any, MessagingMetrics], namespace: str
) -> None:
    """A read model (support's timelines) emits nothing: it needs no relay, and an event it
    emitted by mistake would never be published, so it is refused and nothing is written."""
    mongo, _ = client
    collection = mongo[f"{namespace}documents"]["read_model"]
    documents = OutboxDocuments(collection, KeyedLock(), None, encode=_same, decode=_same)
    await documents.insert({"_id": "c1", "n": 0}, [])
    await documents.update("c1", _increment)

    def emitting(counter: Counter) -> tuple[Counter, list[OutboxMessage]]:
        return counter | {"n": 100}, [_event(1)]

    with pytest.raises(TypeError, match="no outbox relay"):
        await documents.update("c1", emitting)
    with pytest.raises(TypeError, match="no outbox relay"):
        await documents.insert({"_id": "c2", "n": 0}, [_event(2)])
    assert await collection.find_one({"_id": "c1"}, {"_id": 0, "n": 1}) == {"n": 1}
    assert await collection.find_one({"_id": "c2"}) is None
