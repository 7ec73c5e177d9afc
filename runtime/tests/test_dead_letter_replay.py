"""Replaying dead letters on the real Kafka: parked until fixed, re-driven once, never twice.

A consumer wired by ``conveyor_runtime.consumer`` parks what its handler refuses; the handler
refuses chosen events until the test "fixes" the cause. The handler does not deduplicate, so a
message re-driven twice would be seen twice.
"""

import asyncio
import io
import os
import sys
import uuid
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
from conveyor_runtime.dead_letters import REPLAYED_FROM_HEADER, DeadLetters
from conveyor_runtime.dead_letters.cli import run
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.testing import CreateTopics, KafkaLogin, from_example, wait_for

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


async def test_a_parked_message_is_replayed_once_its_cause_is_fixed_and_processed_exactly_once(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, handler = mesh
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    stuck, fine = refund(order_id), refund(f"ord_{uuid.uuid4().hex[:12]}")
    stuck_key = order_id.encode()
    handler.refused[str(stuck.event_id)] = "no price list for the order's market"
    await publish(broker, namespace, stuck)
    await publish(broker, namespace, fine)
    await wait_for(lambda: processed_once(handler, fine))
    await wait_for(lambda: parked_are(kafka_login, namespace, 1))

    listing = await cli(kafka, namespace, "list")
    assert f"{namespace}{SPEC.dead_letter}: 1 parked" in listing
    assert f"key={order_id}" in listing
    assert "event_type=RefundRequested" in listing
    assert "no price list for the order's market" in listing

    original = namespace + SPEC.name
    before = await end_offsets(kafka_login, original)
    dry = await cli(kafka, namespace, "replay", "--dry-run")
    assert "would replay 1 message(s)" in dry
    assert await end_offsets(kafka_login, original) == before  # nothing published
    assert await parked_count(kafka_login, namespace) == 1  # nothing committed

    handler.fixed = True
    first = await cli(kafka, namespace, "replay")
    assert "replayed 1 message(s)" in first
    await wait_for(lambda: processed_once(handler, stuck))
    after_first = await end_offsets(kafka_login, original)
    assert sum(after_first.values()) == sum(before.values()) + 1

    second = await cli(kafka, namespace, "replay")
    assert "replayed 0 message(s)" in second
    assert await end_offsets(kafka_login, original) == after_first
    assert await parked_count(kafka_login, namespace) == 0
    # A marker on the same key (same partition) is processed after anything published before it.
    marker = refund(order_id)
    await publish(broker, namespace, marker)
    await wait_for(lambda: processed_once(handler, marker))
    assert handler.processed[str(stuck.event_id)] == 1

    on_key = [headers for key, headers in await messages(kafka_login, original) if key == stuck_key]
    first_publish = on_key[0]
    (headers,) = [headers for headers in on_key if REPLAYED_FROM_HEADER in headers]
    assert headers["x-test-origin"] == b"checkout"  # the original headers travel along
    assert headers[REPLAYED_FROM_HEADER].startswith(f"{namespace}{SPEC.dead_letter}/".encode())
    assert not [name for name in headers if name.startswith("x-dlq-")]
    # The re-driven message carries the order's trace: its consumer span joins that trace.
    assert _trace_id(headers) == _trace_id(first_publish)


def _trace_id(headers: dict[str, bytes]) -> str:
    return headers["traceparent"].decode().split("-")[1]


async def test_a_filtered_replay_leaves_the_rest_parked_for_a_later_run_and_never_repeats(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, handler = mesh
    order_id = f"ord_{uuid.uuid4().hex[:12]}"  # one key: one dead-letter partition, in order
    first, second, third = refund(order_id), refund(order_id), refund(order_id)
    handler.refused[str(first.event_id)] = "no price list"
    handler.refused[str(second.event_id)] = "unknown warehouse"
    handler.refused[str(third.event_id)] = "no price list"
    for event in (first, second, third):
        await publish(broker, namespace, event)
    await wait_for(lambda: parked_are(kafka_login, namespace, 3))
    handler.fixed = True

    only_warehouse = await cli(kafka, namespace, "replay", "--reason", "WAREHOUSE")
    assert "replayed 1, left parked 2" in only_warehouse
    await wait_for(lambda: processed_once(handler, second))
    listing = await cli(kafka, namespace, "list")
    assert listing.count("no price list") == 2
    assert "unknown warehouse" not in listing

    rest = await cli(kafka, namespace, "replay")
    assert "replayed 2 message(s)" in rest
    await wait_for(lambda: processed_once(handler, third))
    assert "replayed 0 message(s)" in await cli(kafka, namespace, "replay")
    marker = refund(order_id)
    await publish(broker, namespace, marker)
    await wait_for(lambda: processed_once(handler, marker))
    assert [handler.processed[str(event.event_id)] for event in (first, second, third)] == [1, 1, 1]
    replayed = [
        h
        for _, h in await messages(kafka_login, namespace + SPEC.name)
        if REPLAYED_FROM_HEADER in h
    ]
    assert len(replayed) == 3


async def test_neither_the_parked_reason_nor_the_listing_holds_the_payload(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, _ = mesh
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    personal = ("Ada Lovelace", "12 Analytical Row", "+44 20 7946 0000", "ada@example.com")
    # A free-text reason holding a name: Pydantic's own error text would quote it in full (and
    # the ship_to object cut in the middle); the consumer parks the failing fields only.
    body = (
        f'{{"event_type": "RefundRequested", "order_id": "{order_id}", '
        f'"reason": "{personal[0]}", "ship_to": {{"line1": "{personal[1]}", '
        f'"phone": "{personal[2]}", "email": "{personal[3]}"}}}}'
    )
    await broker.publish(body.encode(), topic=namespace + SPEC.name, key=order_id.encode())
    await wait_for(lambda: parked_are(kafka_login, namespace, 1))
    async with DeadLetters(kafka, namespace, kafka_login.credentials()) as dead_letters:
        (parked,) = (await dead_letters.parked(namespace + SPEC.dead_letter)).still_parked
    for value in personal:
        assert value not in parked.header("x-dlq-reason")

    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "conveyor_runtime.dead_letters", "list", "--topic", SPEC.name),
        env=os.environ
        | {"DEAD_LETTERS_KAFKA_BOOTSTRAP_SERVERS": kafka, "DEAD_LETTERS_TOPIC_PREFIX": namespace},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(command.communicate(), timeout=60)
    assert command.returncode == 0, stderr
    printed = stdout.decode() + stderr.decode()
    assert f"key={order_id}" in printed
    assert "ValidationError" in printed
    for value in personal:
        assert value not in printed


async def test_discarded_messages_are_neither_listed_nor_replayed_and_the_others_still_are(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, handler = mesh
    junk_key = f"ord_{uuid.uuid4().hex[:12]}"
    await broker.publish(b"\x00\xff not json", topic=namespace + SPEC.name, key=junk_key.encode())
    kept = refund(f"ord_{uuid.uuid4().hex[:12]}")
    handler.refused[str(kept.event_id)] = "no price list"
    await publish(broker, namespace, kept)
    await wait_for(lambda: parked_are(kafka_login, namespace, 2))

    assert "would discard 1 message(s)" in await cli(
        kafka, namespace, "discard", "--key", junk_key, "--dry-run"
    )
    assert await parked_count(kafka_login, namespace) == 2
    assert "discarded 1 message(s)" in await cli(kafka, namespace, "discard", "--key", junk_key)
    listing = await cli(kafka, namespace, "list")
    assert junk_key not in listing
    assert f"key={kept.order_id}" in listing

    handler.fixed = True
    assert "replayed 1 message(s)" in await cli(kafka, namespace, "replay")
    await wait_for(lambda: processed_once(handler, kept))
    replayed = [
        key
        for key, headers in await messages(kafka_login, namespace + SPEC.name)
        if REPLAYED_FROM_HEADER in headers
    ]
    assert replayed == [kept.order_id.encode()]
