"""The replay tests' consumer on the real Kafka, its handler, and how the tests look at both.

A consumer wired by ``conveyor_runtime.consumer`` parks what its handler refuses; the handler
refuses chosen events until the test "fixes" the cause. The handler does not deduplicate, so a
message re-driven twice would be seen twice. The command line runs as an operator runs it.
"""

import io
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from conveyor_contracts.support import RefundRequested
from conveyor_contracts.topics import SUPPORT_REFUNDS
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import subscribe
from conveyor_runtime.consumer_config import RetryPolicy
from conveyor_runtime.dead_letters import DeadLetters
from conveyor_runtime.dead_letters.cli import run
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import CreateTopics, KafkaLogin, from_example

SPEC = SUPPORT_REFUNDS
FAST = RetryPolicy(first_delay=0.01, max_delay=0.05)


@dataclass
class Handler:
    """Refuses the events in ``refused`` (with their reason) until ``fixed``; counts the rest."""

    refused: dict[str, str] = field(default_factory=dict)
    fixed: bool = False
    processed: Counter[str] = field(default_factory=Counter)

    async def __call__(self, event: RefundRequested) -> None:
        event_id = str(event.event_id)
        if event_id in self.refused and not self.fixed:
            raise PermanentError(self.refused[event_id])
        self.processed[event_id] += 1


@pytest.fixture(autouse=True)
def operator_login(monkeypatch: pytest.MonkeyPatch, kafka_login: KafkaLogin) -> None:
    """The command line logs in as the admin, as an operator does (its environment variables:
    read by ``run`` in this process and inherited by a ``python -m`` subprocess)."""
    admin = kafka_login.credentials()
    if admin is not None:
        monkeypatch.setenv("DEAD_LETTERS_KAFKA_USERNAME", admin.username)
        monkeypatch.setenv("DEAD_LETTERS_KAFKA_PASSWORD", admin.password.get_secret_value())


@pytest.fixture
async def mesh(
    kafka: str, namespace: str, create_topics: CreateTopics, kafka_login: KafkaLogin
) -> AsyncIterator[tuple[KafkaBroker, Handler]]:
    """A running consumer of the namespace's refunds topic, and its handler."""
    await create_topics(SPEC)
    handler = Handler()
    broker = build_broker(
        kafka,
        "replay-test",
        build_tracer_provider("replay-test", None),
        kafka_login.credentials(),
    )
    subscribe(
        broker,
        topic=namespace + SPEC.name,
        dead_letter_topic=namespace + SPEC.dead_letter,
        group_id=namespace + "support",
        adapter=SPEC.adapter,
        handle=handler,
        metrics=MessagingMetrics(),
        retry=FAST,
    )
    await broker.start()
    try:
        yield broker, handler
    finally:
        await broker.stop()


def refund(order_id: str) -> RefundRequested:
    return from_example(RefundRequested, order_id=order_id)


async def publish(broker: KafkaBroker, namespace: str, event: RefundRequested) -> None:
    await broker.publish(
        event.model_dump_json().encode(),
        topic=namespace + SPEC.name,
        key=event.order_id.encode(),
        headers={"event-type": event.event_type, "x-test-origin": "checkout"},
    )


async def cli(kafka: str, namespace: str, *arguments: str) -> str:
    out = io.StringIO()
    status = await run(
        ["--bootstrap-servers", kafka, "--topic-prefix", namespace, *arguments], out=out
    )
    assert status == 0, out.getvalue()
    return out.getvalue()


async def parked_count(login: KafkaLogin, namespace: str) -> int:
    async with DeadLetters(login.bootstrap, namespace, login.credentials()) as dead_letters:
        return len((await dead_letters.parked(namespace + SPEC.dead_letter)).still_parked)


async def parked_are(login: KafkaLogin, namespace: str, expected: int) -> bool:
    return await parked_count(login, namespace) == expected


async def processed_once(handler: Handler, event: RefundRequested) -> bool:
    return handler.processed[str(event.event_id)] == 1


async def end_offsets(login: KafkaLogin, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**login.options())
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(SPEC.partitions)]
        return {tp.partition: end for tp, end in (await consumer.end_offsets(partitions)).items()}
    finally:
        await consumer.stop()


async def messages(login: KafkaLogin, topic: str) -> list[tuple[bytes, dict[str, bytes]]]:
    """Every message of ``topic``, its key and headers, in offset order per partition."""
    ends = await end_offsets(login, topic)
    consumer = AIOKafkaConsumer(**login.options(), auto_offset_reset="earliest")
    await consumer.start()
    found: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in ends])
        for partition, end in ends.items():
            tp = TopicPartition(topic, partition)
            while await consumer.position(tp) < end:
                for record in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                    found.append((record.key or b"", dict(record.headers)))
        return found
    finally:
        await consumer.stop()
