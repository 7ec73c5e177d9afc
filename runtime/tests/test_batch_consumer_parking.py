"""The batch consumer parks what it cannot handle, with its reason, and the key goes on: a poison
message at once, a message whose writes keep conflicting after the retry policy's bound."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer
from batch_consumer_harness import (
    FAST,
    Pinged,
    _async,
    _equal,
    committed,
    consuming,
    end_offsets,
    ping,
    publish,
)
from batch_consumer_harness import topics as topics  # a fixture: pytest finds it by name here

from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_testkit import KafkaLogin, wait_for


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
