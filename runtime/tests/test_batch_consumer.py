"""The batch consumer on the real broker: per-key order, keys at once, commits after effects."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel, TypeAdapter
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect

from conveyor_runtime import kafka_topics
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import subscribe_batches
from conveyor_runtime.consumer_config import BatchPolicy, RetryPolicy, Route
from conveyor_runtime.documents import ConcurrentUpdateError, OutboxDocuments
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import KeyedLock, build_mongo_client
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from conveyor_runtime.testing import KafkaLogin, Servers, wait_for

FAST = RetryPolicy(
    first_delay=0.01, max_delay=0.05, max_unknown_attempts=3, max_conflict_attempts=4
)


class Pinged(BaseModel):
    event_type: Literal["Pinged"] = "Pinged"
    event_id: UUID
    n: int


Handle = Callable[[Pinged], Awaitable[None]]


@pytest.fixture
async def topics(
    kafka: str, namespace: str, kafka_login: KafkaLogin
) -> AsyncIterator[tuple[str, str]]:
    topic, dead_letters = namespace + "pings", namespace + "pings.dlq"
    admin = kafka_login.credentials()
    await kafka_topics.ensure_topics(kafka, {topic: 2, dead_letters: 1}, credentials=admin)
    yield topic, dead_letters
    await kafka_topics.delete_topics_with_prefix(kafka, namespace, credentials=admin)


async def publish(login: KafkaLogin, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    """Publish (key, value) pairs in order, keys to partitions by the default partitioner."""
    producer = AIOKafkaProducer(**login.options(), acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def ping(n: int) -> bytes:
    return Pinged(event_id=uuid4(), n=n).model_dump_json().encode()


@asynccontextmanager
async def consuming(
    login: KafkaLogin,
    topic: str,
    dead_letters: str,
    group: str,
    handle: Handle,
    metrics: MessagingMetrics,
) -> AsyncIterator[None]:
    broker = build_broker(login.bootstrap, "batch-test", TracerProvider(), login.credentials())
    route = Route(topic, dead_letters, TypeAdapter(Pinged), handle)
    subscribe_batches(
        broker,
        group_id=group,
        routes=[route],
        metrics=metrics,
        retry=FAST,
        batch=BatchPolicy(max_records=500, max_wait_ms=10, concurrency=8),
    )
    await broker.start()
    try:
        yield
    finally:
        await broker.stop()


async def committed(login: KafkaLogin, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset per partition of ``topic`` (0 when none)."""
    consumer = AIOKafkaConsumer(**login.options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(2)]
        consumer.assign(partitions)
        return {tp.partition: (await consumer.committed(tp)) or 0 for tp in partitions}
    finally:
        await consumer.stop()


async def end_offsets(login: KafkaLogin, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**login.options())
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(2)])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def test_messages_of_one_key_keep_their_order_while_keys_are_handled_at_once(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    keys = [f"order-{k}" for k in range(6)]
    # The key is in the number too (key * 100 + n), so the handler knows which key it has.
    await publish(
        kafka_login,
        topic,
        [(key.encode(), ping(k * 100 + n)) for n in range(10) for k, key in enumerate(keys)],
    )
    seen: dict[int, list[int]] = {}
    in_flight = 0
    most_in_flight = 0

    async def handle(event: Pinged) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.005)  # a database round trip
        in_flight -= 1
        seen.setdefault(event.n // 100, []).append(event.n % 100)

    metrics = MessagingMetrics()
    async with consuming(kafka_login, topic, dead_letters, namespace + "g", handle, metrics):
        await wait_for(lambda: _async(sum(map(len, seen.values())) == 60), within=30)
    assert seen == {k: list(range(10)) for k in range(len(keys))}
    assert most_in_flight > 1  # keys overlapped; one at a time would be 1


async def test_a_batch_is_committed_once_per_poll_past_every_handled_message(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(kafka_login, topic, [(f"k{n % 7}".encode(), ping(n)) for n in range(200)])
    handled = 0

    async def handle(event: Pinged) -> None:
        nonlocal handled
        handled += 1

    metrics = MessagingMetrics()
    group = namespace + "g"
    async with consuming(kafka_login, topic, dead_letters, group, handle, metrics):
        await wait_for(lambda: _async(handled == 200), within=30)
        ends = await end_offsets(kafka_login, topic)
        await wait_for(lambda: _equal(committed(kafka_login, group, topic), ends), within=10)
    commits = metrics.registry.get_sample_value("conveyor_kafka_commits_total") or 0
    assert 1 <= commits < 20  # a commit per batch, not one per message (200)


async def test_a_transient_failure_holds_the_commit_without_holding_other_keys(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(
        kafka_login, topic, [(b"stuck", ping(0)), *[(b"free", ping(n)) for n in range(1, 6)]]
    )
    database_up = asyncio.Event()
    handled: list[int] = []

    async def handle(event: Pinged) -> None:
        if event.n == 0 and not database_up.is_set():
            raise AutoReconnect("database restarting")
        handled.append(event.n)

    metrics = MessagingMetrics()
    group = namespace + "g"
    async with consuming(kafka_login, topic, dead_letters, group, handle, metrics):
        await wait_for(lambda: _async(handled == [1, 2, 3, 4, 5]), within=30)
        await wait_for(
            lambda: _async((metrics.retried.labels(topic, "transient")._value.get()) >= 3),
            within=10,
        )
        assert await committed(kafka_login, group, topic) == {
            0: 0,
            1: 0,
        }  # nothing past the stuck one
        database_up.set()
        await wait_for(lambda: _async(0 in handled), within=10)
        ends = await end_offsets(kafka_login, topic)
        await wait_for(lambda: _equal(committed(kafka_login, group, topic), ends), within=10)
    assert metrics.consumed.labels(topic, "dead_lettered")._value.get() == 0


async def test_a_poison_message_is_parked_and_its_key_goes_on(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(
        kafka_login,
        topic,
        [(b"a", ping(1)), (b"a", b"\xff not json"), (b"a", ping(2)), (b"b", ping(3))],
    )
    handled: list[int] = []

    async def handle(event: Pinged) -> None:
        handled.append(event.n)

    metrics = MessagingMetrics()
    group = namespace + "g"
    async with consuming(kafka_login, topic, dead_letters, group, handle, metrics):
        await wait_for(lambda: _async(sorted(handled) == [1, 2, 3]), within=30)
        ends = await end_offsets(kafka_login, topic)
        await wait_for(lambda: _equal(committed(kafka_login, group, topic), ends), within=10)
    assert handled.index(1) < handled.index(2)  # key a kept its order around the poison
    record = await first_parked(kafka_login, dead_letters)
    assert record.value == b"\xff not json"
    assert dict(record.headers)["x-dlq-reason"].startswith(b"ValidationError")


async def test_a_message_whose_writes_keep_conflicting_is_parked_after_a_bound(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(kafka_login, topic, [(b"a", ping(1)), (b"a", ping(2))])
    attempts: dict[int, int] = {}

    async def handle(event: Pinged) -> None:
        attempts[event.n] = attempts.get(event.n, 0) + 1
        if event.n == 1:  # another process wins every time
            raise ConcurrentUpdateError("order-1")

    metrics = MessagingMetrics()
    group = namespace + "g"
    async with consuming(kafka_login, topic, dead_letters, group, handle, metrics):
        await wait_for(lambda: _async(2 in attempts), within=30)
        ends = await end_offsets(kafka_login, topic)
        await wait_for(lambda: _equal(committed(kafka_login, group, topic), ends), within=10)
    assert attempts[1] == FAST.max_conflict_attempts
    record = await first_parked(kafka_login, dead_letters)
    assert dict(record.headers)["x-dlq-reason"].startswith(b"ConcurrentUpdateError")


async def first_parked(login: KafkaLogin, dead_letters: str) -> Any:
    """The first message on the dead-letter topic."""
    parked = AIOKafkaConsumer(dead_letters, **login.options(), auto_offset_reset="earliest")
    await parked.start()
    try:
        return await asyncio.wait_for(parked.getone(), timeout=10)
    finally:
        await parked.stop()


async def _async(value: bool) -> bool:
    return value


async def _equal(actual: Awaitable[dict[int, int]], expected: dict[int, int]) -> bool:
    return await actual == expected


Tally = dict[str, Any]


def _tallied(event: Pinged) -> Callable[[Tally], tuple[Tally, list[OutboxMessage]]]:
    def change(tally: Tally) -> tuple[Tally, list[OutboxMessage]]:
        if str(event.event_id) in tally["applied"]:
            return tally, []  # a redelivery
        return tally | {
            "n": tally["n"] + 1,
            "applied": [*tally["applied"], str(event.event_id)],
        }, []

    return change


async def _no_publish(_: OutboxMessage) -> None:
    raise AssertionError("nothing is published here")


def _tallies(
    collection: AsyncCollection[dict[str, Any]], *, coalesced: bool = True
) -> OutboxDocuments[Tally]:
    locks = KeyedLock()
    return OutboxDocuments(
        collection,
        locks,
        OutboxRelay(MongoOutboxStore(collection), _no_publish, locks),
        encode=dict,
        decode=dict,
        coalesced=coalesced,
    )


async def test_several_messages_of_one_key_in_a_batch_change_its_document_with_one_write(
    kafka_login: KafkaLogin, servers: Servers, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(kafka_login, topic, [(b"order-1", ping(n)) for n in range(5)])
    metrics = MessagingMetrics()
    mongo = build_mongo_client(servers.mongo_url, TracerProvider(), metrics=metrics)
    tallies = _tallies(mongo[f"{namespace}tallies"]["tallies"])
    await tallies.insert({"_id": "order-1", "n": 0, "applied": []}, [])

    async def handle(event: Pinged) -> None:
        await tallies.update("order-1", _tallied(event))

    try:
        async with consuming(kafka_login, topic, dead_letters, namespace + "g", handle, metrics):

            async def tallied() -> bool:
                tally = await tallies.get("order-1")
                return tally is not None and tally["n"] == 5

            await wait_for(tallied, within=30)
        writes = metrics.registry.get_sample_value(
            "conveyor_db_commands_total", {"command": "update"}
        )
        assert writes == 1  # one batch: five changes, one write
    finally:
        await mongo.drop_database(f"{namespace}tallies")
        await mongo.close()


async def test_a_key_whose_document_another_process_wrote_meanwhile_is_handled_again(
    kafka_login: KafkaLogin, servers: Servers, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(kafka_login, topic, [(b"order-1", ping(n)) for n in range(3)])
    metrics = MessagingMetrics()
    mongo = build_mongo_client(servers.mongo_url, TracerProvider(), metrics=metrics)
    collection = mongo[f"{namespace}tallies"]["tallies"]
    # Another process's repository: its write goes to the database at once.
    here, elsewhere = _tallies(collection), _tallies(collection, coalesced=False)
    await here.insert({"_id": "order-1", "n": 0, "applied": [], "other": 0}, [])
    interfered = False

    async def handle(event: Pinged) -> None:
        nonlocal interfered
        await here.update("order-1", _tallied(event))
        if not interfered:  # another instance writes the document between two messages
            interfered = True
            await elsewhere.update("order-1", lambda tally: (tally | {"other": 1}, []))

    try:
        async with consuming(kafka_login, topic, dead_letters, namespace + "g", handle, metrics):

            async def tallied() -> dict[str, Any] | None:
                stored = await collection.find_one({"_id": "order-1"})
                return stored if stored is not None and stored["n"] == 3 else None

            stored = await wait_for(tallied, within=30)
        assert isinstance(stored, dict)
        assert stored["other"] == 1  # the other write was not lost
        assert len(stored["applied"]) == 3  # and each message counted once
    finally:
        await mongo.drop_database(f"{namespace}tallies")
        await mongo.close()
