"""Consuming a batch at a time: commit after effects, per-key order, retry, dead letters.

A service's consumer takes what the broker has (up to ``BatchPolicy.max_records``, waiting at
most ``max_wait_ms`` when nothing is there, so a lone message is not held back), groups the
batch's messages by key, handles the messages of one key one after another in offset order and
different keys concurrently, and commits every partition once when the whole batch is handled.
One consumer serves all of a service's topics in its group (``Route`` per topic), so the
subscribe path, the commit and the poll are paid per batch, not per message. While one key's
messages are handled, the changes they make to that key's own documents are held and written
once at the end (``conveyor_runtime.key_scope.coalescing``), before the batch is committed; if
another process wrote one of those documents meanwhile, the key's messages are handled again.

FastStream's ack policies either commit a failed message (ACK, REJECT_ON_ERROR) or redeliver it
at once forever (NACK_ON_ERROR). So the subscriber runs with ``AckPolicy.MANUAL`` and, per
message, the consumer decides (``message_handler``):

* success: done;
* transient failure (database or broker briefly down): retry with capped exponential backoff,
  without limit, so a valid message is never parked for an outage; the batch is not committed
  until it succeeds, and other keys go on meanwhile;
* permanent failure (bad bytes, schema violation, ``PermanentError``): publish the original
  bytes, key and headers plus the reason to ``<topic>.dlq``, wait for the broker's confirmation,
  and go on with the key's next message: a poison message costs itself, never the batch;
* anything else (a bug): retry a few times, then dead-letter it like a permanent failure;
* a write that keeps finding its document changed by another process (``ConcurrentUpdateError``,
  retried like a transient failure): dead-lettered with that reason after
  ``max_conflict_attempts``, so two instances fighting over a document cannot stall a partition.

Each handled message gets its own consumer span, child of the producer span its headers carry
(FastStream's middleware would make one span for the whole batch, outside every order's trace).

This module subscribes and commits the batches; what a consumer is given (``Route``,
``RetryPolicy``, ``BatchPolicy``) is in ``consumer_config``, one message's handling in
``message_handler`` and the dead letter's publishing in ``dead_letter_publisher``.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from pydantic import TypeAdapter

from conveyor_runtime.consumer_config import BatchPolicy, Record, RetryPolicy, Route
from conveyor_runtime.message_handler import MessageHandler
from conveyor_runtime.metrics import MessagingMetrics

log = logging.getLogger(__name__)

M = TypeVar("M")
# The policies of a consumer given none; frozen, so one instance serves every call.
_DEFAULT_RETRY = RetryPolicy()
_DEFAULT_BATCH = BatchPolicy()


async def raw_body(message: StreamMessage[Any]) -> Any:
    """Skip FastStream's decoding: parsing (and rejecting) the bytes is the handler's job."""
    return message.body


def subscribe_batches(
    broker: KafkaBroker,
    *,
    group_id: str,
    routes: Sequence[Route[Any]],
    metrics: MessagingMetrics,
    tracer_provider: TracerProvider | None = None,
    retry: RetryPolicy = _DEFAULT_RETRY,
    batch: BatchPolicy = _DEFAULT_BATCH,
) -> None:
    """Register one batch consumer of every route's topic in consumer group ``group_id``.

    Args:
        broker: The service's broker (not yet started).
        group_id: The consumer group; a constant, since renaming it re-reads the topics' history.
        routes: One per topic consumed.
        metrics: Where consumed, retried, dead-lettered messages and commits are counted.
        tracer_provider: The process's provider, for one consumer span per message.
        retry: Backoff between attempts.
        batch: Batch size, poll wait and concurrency.
    """
    by_topic = {route.topic: route for route in routes}
    tracer = (tracer_provider or trace.NoOpTracerProvider()).get_tracer(__name__)
    handler = MessageHandler(broker, group_id, metrics, tracer, retry)

    async def consume(_: Any, message: KafkaMessage) -> None:
        raw = message.raw_message
        records: Sequence[Record] = raw if isinstance(raw, tuple | list) else (raw,)
        slots = asyncio.Semaphore(batch.concurrency)

        async def handle_key(records_of_key: list[Record]) -> None:
            async with slots:
                await handler.handle_key(by_topic, records_of_key)

        await asyncio.gather(*(handle_key(group) for group in _by_key(records)))
        try:
            await message.ack()  # every partition of the batch, once, past handled messages
        except KafkaError:
            # After a rebalance the partitions may be another consumer's, which handles the
            # messages again; idempotent handlers make that harmless.
            log.warning("commit failed; the messages will be handled again", exc_info=True)
            return
        metrics.kafka_commits.inc()

    broker.subscriber(
        *by_topic,
        group_id=group_id,
        batch=True,
        max_records=batch.max_records,
        batch_timeout_ms=batch.max_wait_ms,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=raw_body,
        title=f"{group_id}:{','.join(by_topic)}",
    )(consume)


def subscribe(
    broker: KafkaBroker,
    *,
    topic: str,
    dead_letter_topic: str,
    group_id: str,
    adapter: TypeAdapter[M],
    handle: Callable[[M], Awaitable[None]],
    metrics: MessagingMetrics,
    retry: RetryPolicy = _DEFAULT_RETRY,
    order_id_of: Callable[[M], str | None] = lambda _: None,
    tracer_provider: TracerProvider | None = None,
    batch: BatchPolicy = _DEFAULT_BATCH,
) -> None:
    """A batch consumer of a single topic (see ``subscribe_batches``)."""
    route = Route(topic, dead_letter_topic, adapter, handle, order_id_of)
    subscribe_batches(
        broker,
        group_id=group_id,
        routes=[route],
        metrics=metrics,
        tracer_provider=tracer_provider,
        retry=retry,
        batch=batch,
    )


def _by_key(records: Sequence[Record]) -> list[list[Record]]:
    """The batch's messages grouped by key, each group in batch (so offset) order; a message
    without a key is a group of its own."""
    groups: dict[Hashable, list[Record]] = {}
    for index, record in enumerate(records):
        key: Hashable = record.key if record.key is not None else ("no key", index)
        groups.setdefault(key, []).append(record)
    return list(groups.values())
