"""The batch consumer's tests on the real broker: their topic, their messages (pings numbered
by the test, published in order), a consumer of them running for a block, and its commits."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel, TypeAdapter

from conveyor_runtime import kafka_topics
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import subscribe_batches
from conveyor_runtime.consumer_config import BatchPolicy, RetryPolicy, Route
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_testkit import KafkaLogin

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


async def _async(value: bool) -> bool:
    return value


async def _equal(actual: Awaitable[dict[int, int]], expected: dict[int, int]) -> bool:
    return await actual == expected
