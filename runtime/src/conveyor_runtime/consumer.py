"""Consuming a batch at a time: commit after effects, per-key order, retry, dead letters.

A service's consumer takes what the broker has (up to ``BatchPolicy.max_records``, waiting at
most ``max_wait_ms`` when nothing is there, so a lone message is not held back), groups the
batch's messages by key, handles the messages of one key one after another in offset order and
different keys concurrently, and commits every partition once when the whole batch is handled.
One consumer serves all of a service's topics in its group (``Route`` per topic), so the
subscribe path, the commit and the poll are paid per batch, not per message. While one key's
messages are handled, the changes they make to that key's own documents are held and written
once at the end (``conveyor_runtime.documents.coalescing``), before the batch is committed; if
another process wrote one of those documents meanwhile, the key's messages are handled again.

FastStream's ack policies either commit a failed message (ACK, REJECT_ON_ERROR) or redeliver it
at once forever (NACK_ON_ERROR). So the subscriber runs with ``AckPolicy.MANUAL`` and, per
message, this module decides:

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
"""

import asyncio
import functools
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeAlias, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from opentelemetry import trace
from opentelemetry.trace import SpanKind, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import TypeAdapter

from conveyor_runtime.documents import ConcurrentUpdateError, KeyScope, coalescing
from conveyor_runtime.failures import is_permanent, is_transient, reason_of
from conveyor_runtime.logs import log_context
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.tracing import ORDER_ID, traced_publish

log = logging.getLogger(__name__)
_propagator = TraceContextTextMapPropagator()

M = TypeVar("M")
Record: TypeAlias = ConsumerRecord[bytes, bytes]

_handled: ContextVar[Record | None] = ContextVar("conveyor_handled_record", default=None)


def handled_record() -> Record | None:
    """The Kafka record whose handler is running (its headers, partition, offset), if any."""
    return _handled.get()


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts; ``max_unknown_attempts`` bounds retries of unexpected errors,
    ``max_conflict_attempts`` those of a message whose writes keep finding the document changed
    by another process (a livelock between instances must not stall its partition forever)."""

    first_delay: float = 0.2
    max_delay: float = 10.0
    max_unknown_attempts: int = 5
    max_conflict_attempts: int = 20

    def delay(self, attempt: int) -> float:
        # Full jitter keeps a fleet of consumers from retrying a recovering database in lockstep.
        return random.uniform(0, min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class BatchPolicy:
    """How much one poll takes and how many keys are handled at once.

    Attributes:
        max_records: The most messages one batch holds.
        max_wait_ms: How long a poll waits when the broker has nothing; a batch never waits to
            fill, it takes what is there.
        concurrency: Keys handled at the same time; bounds the database operations in flight.
    """

    max_records: int = 500
    max_wait_ms: int = 10
    concurrency: int = 32


@dataclass(frozen=True)
class Route(Generic[M]):
    """What a consumer does with one topic's messages.

    Attributes:
        topic: The topic, as resolved by the service's settings.
        dead_letter_topic: Where its unprocessable messages are parked, reason in headers.
        adapter: Parses the bytes into the topic's event union; failures dead-letter.
        handle: The use case to run; idempotent, since messages can arrive twice.
        order_id_of: The order id of an event, for log lines and spans, when it has one.
    """

    topic: str
    dead_letter_topic: str
    adapter: TypeAdapter[M]
    handle: Callable[[M], Awaitable[None]]
    order_id_of: Callable[[M], str | None] = lambda _: None


async def raw_body(message: StreamMessage[Any]) -> Any:
    """Skip FastStream's decoding: parsing (and rejecting) the bytes is this module's job."""
    return message.body


def subscribe_batches(
    broker: KafkaBroker,
    *,
    group_id: str,
    routes: Sequence[Route[Any]],
    metrics: MessagingMetrics,
    tracer_provider: TracerProvider | None = None,
    retry: RetryPolicy = RetryPolicy(),
    batch: BatchPolicy = BatchPolicy(),
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
    handler = _MessageHandler(broker, group_id, metrics, tracer, retry)

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
    retry: RetryPolicy = RetryPolicy(),
    order_id_of: Callable[[M], str | None] = lambda _: None,
    tracer_provider: TracerProvider | None = None,
    batch: BatchPolicy = BatchPolicy(),
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


class _MessageHandler:
    """One message: its span, parsing, the use case, retries and the dead letter."""

    def __init__(
        self,
        broker: KafkaBroker,
        group_id: str,
        metrics: MessagingMetrics,
        tracer: trace.Tracer,
        retry: RetryPolicy,
    ) -> None:
        self.broker = broker
        self.group_id = group_id
        self.metrics = metrics
        self.tracer = tracer
        self.retry = retry

    async def handle_key(self, routes: Mapping[str, Route[Any]], records: list[Record]) -> None:
        """The messages of one key in order, their changes to the key's own documents held and
        written once at the end (``coalescing``)."""
        key = records[0].key
        if key is None:
            for record in records:
                await self.handle(routes[record.topic], record)
            return
        outcomes = []
        with coalescing(key.decode("utf-8", "replace")) as scope:
            for record in records:  # offset order within a partition
                outcomes.append(await self.handle(routes[record.topic], record))
            if await self._flushed(scope):
                return
        # Another process wrote one of the key's documents meanwhile (a rebalance): handle the
        # messages again, writing as they go, as a redelivery would; what was stored is a no-op.
        for record, outcome in zip(records, outcomes, strict=True):
            if outcome == "ok":
                await self.handle(routes[record.topic], record)

    async def _flushed(self, scope: KeyScope) -> bool:
        """Write what the key's messages changed; False when it must be done again."""
        for attempt in itertools.count(1):
            try:
                await scope.flush()
                return True
            except ConcurrentUpdateError:
                return False
            except Exception as error:
                if not is_transient(error):
                    log.exception("writing a key's changes failed; handling its messages again")
                    return False
                self.metrics.retried.labels("flush", "transient").inc()
                log.warning("writing a key's changes failed, retrying", exc_info=True)
                await asyncio.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")  # itertools.count never ends

    async def handle(self, route: Route[Any], record: Record) -> str:
        """Handle one message; its outcome, ``ok`` or ``dead_lettered``."""
        started = time.perf_counter()
        _handled.set(record)
        headers = {name: value.decode("utf-8", "replace") for name, value in record.headers}
        parent = _propagator.extract(headers)
        with self.tracer.start_as_current_span(
            f"{record.topic} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=self._attributes(record, headers),
        ) as span:
            outcome = await self._attempt(route, record, headers, span)
        self.metrics.consumed.labels(route.topic, outcome).inc()
        self.metrics.handler_seconds.labels(route.topic).observe(time.perf_counter() - started)
        return outcome

    async def _attempt(
        self, route: Route[Any], record: Record, headers: dict[str, str], span: trace.Span
    ) -> str:
        conflicts = 0
        for attempt in itertools.count(1):
            try:
                await self._process(route, record, span)
                return "ok"
            except Exception as error:  # classified here, never swallowed
                transient = is_transient(error)
                conflicts += isinstance(error, ConcurrentUpdateError)
                if (
                    is_permanent(error)
                    or (not transient and attempt >= self.retry.max_unknown_attempts)
                    or conflicts >= self.retry.max_conflict_attempts
                ):
                    park = functools.partial(self._dead_letter, route, record, headers, error)
                    await self._until_done(park, route.topic)
                    return "dead_lettered"
                kind = "transient" if transient else "unknown"
                self.metrics.retried.labels(route.topic, kind).inc()
                log.warning(
                    "handler failed, retrying",
                    extra={"topic": route.topic, "attempt": attempt, "error": type(error).__name__},
                    exc_info=not transient,
                )
                await asyncio.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")  # itertools.count never ends

    async def _process(self, route: Route[Any], record: Record, span: trace.Span) -> None:
        event = route.adapter.validate_json(record.value or b"")
        event_id = getattr(event, "event_id", None)
        order_id = route.order_id_of(event)
        if event_id is not None:
            span.set_attribute("messaging.message.id", str(event_id))
        if order_id is not None:
            span.set_attribute(ORDER_ID, order_id)
        with log_context(event_id=event_id and str(event_id), order_id=order_id):
            await route.handle(event)
            log.debug(
                "event handled",
                extra={"topic": route.topic, "event_type": getattr(event, "event_type", None)},
            )

    def _attributes(self, record: Record, headers: dict[str, str]) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.destination_publish.name": record.topic,
            "messaging.operation": "process",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.kafka.destination.partition": record.partition,
            "messaging.kafka.offset": record.offset,
            "messaging.kafka.message.offset": record.offset,
            "messaging.message.payload_size_bytes": len(record.value or b""),
            "messaging.consumer.group.name": self.group_id,
            "messaging.kafka.consumer.group": self.group_id,  # the older name
        }
        if record.key is not None:
            attributes["messaging.kafka.message.key"] = record.key  # as the publish span has it
        if correlation_id := headers.get("correlation_id"):
            attributes["messaging.message.conversation_id"] = correlation_id
        return attributes

    async def _dead_letter(
        self, route: Route[Any], record: Record, headers: dict[str, str], error: Exception
    ) -> None:
        parked = headers | {
            "x-dlq-reason": reason_of(error)[:2000],
            "x-dlq-original-topic": record.topic,
            "x-dlq-original-partition": str(record.partition),
            "x-dlq-original-offset": str(record.offset),
            "x-dlq-consumer-group": self.group_id,
            "x-dlq-failed-at": datetime.now(UTC).isoformat(),
        }
        # Inside the message's consume span: the dead letter is a child of the message it parks.
        await traced_publish(
            self.broker,
            self.tracer,
            record.value or b"",
            topic=route.dead_letter_topic,
            key=record.key,
            headers=parked,
        )
        self.metrics.dead_lettered.labels(route.topic, type(error).__name__).inc()
        log.warning(
            "message dead-lettered",
            extra={"topic": route.topic, "offset": record.offset, "reason": type(error).__name__},
        )

    async def _until_done(self, action: Callable[[], Awaitable[None]], topic: str) -> None:
        """Run ``action`` until it succeeds.

        Giving up would let the batch's commit skip this message silently; a key that stops
        instead shows up as consumer lag and in the logs.
        """
        for attempt in itertools.count(1):
            try:
                await action()
                return
            except Exception:
                self.metrics.retried.labels(topic, "dead_letter").inc()
                log.exception("dead-letter publish failed, retrying", extra={"topic": topic})
                await asyncio.sleep(self.retry.delay(attempt))
