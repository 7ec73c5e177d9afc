"""Consumer lag on the real broker: committed positions against the partitions' end offsets."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from conveyor_runtime import kafka_topics
from conveyor_runtime.lag import ConsumerLagMonitor, Subscription
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_testkit import KafkaLogin, wait_for


@pytest.fixture
async def topic(kafka: str, namespace: str, kafka_login: KafkaLogin) -> AsyncIterator[str]:
    name = namespace + "lagged"
    admin = kafka_login.credentials()
    await kafka_topics.ensure_topics(kafka, {name: 2}, credentials=admin)
    yield name
    await kafka_topics.delete_topics_with_prefix(kafka, namespace, credentials=admin)


async def test_lag_is_the_messages_after_the_committed_position_per_partition(
    kafka: str, namespace: str, topic: str, kafka_login: KafkaLogin
) -> None:
    producer = AIOKafkaProducer(**kafka_login.options())
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(topic, f"a{n}".encode(), partition=0)
        await producer.send_and_wait(topic, b"b0", partition=1)
    finally:
        await producer.stop()
    group = namespace + "group"
    committer = AIOKafkaConsumer(**kafka_login.options(), group_id=group, enable_auto_commit=False)
    await committer.start()
    try:
        committer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        await committer.commit({TopicPartition(topic, 0): 1})  # one of three handled
    finally:
        await committer.stop()

    metrics = MessagingMetrics()
    monitor = ConsumerLagMonitor(
        kafka,
        [Subscription(group, topic)],
        metrics.consumer_lag,
        interval_seconds=0.2,
        credentials=kafka_login.credentials(),
    )
    task = asyncio.create_task(monitor.run())

    def lag(partition: int) -> float | None:
        return metrics.registry.get_sample_value(
            "conveyor_consumer_lag",
            {"group": group, "topic": topic, "partition": str(partition)},
        )

    async def measured() -> bool:
        return lag(0) is not None and lag(1) is not None

    try:
        await wait_for(measured, within=30)
        # Partition 1 was never committed: the group would start from its first message.
        assert (lag(0), lag(1)) == (2, 1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
