"""Subscribing with commit-after-processing, bounded retry and a confirmed dead-letter publish.

FastStream's ack policies either commit a failed message (ACK, REJECT_ON_ERROR) or redeliver it
at once forever (NACK_ON_ERROR). So every subscriber runs with ``AckPolicy.MANUAL`` and this
wrapper decides:

* success: commit;
* transient failure (database or broker briefly down): retry with capped exponential backoff,
  without limit and without committing, so a valid message is never parked for an outage;
* permanent failure (bad bytes, schema violation, ``PermanentError``): publish the original
  bytes, key and headers plus the reason to ``<topic>.dlq``, wait for the broker's confirmation,
  then commit;
* anything else (a bug): retry a few times, then dead-letter it like a permanent failure.

One message is handled at a time per subscriber, so committing the consumer's position after a
message commits exactly that message, and per-partition order is kept.
"""

import asyncio
import functools
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import TypeAdapter

from conveyor_runtime.failures import is_permanent, is_transient, reason_of
from conveyor_runtime.logs import log_context
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.tracing import set_consumer_group

log = logging.getLogger(__name__)

M = TypeVar("M")


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts; ``max_unknown_attempts`` bounds retries of unexpected errors."""

    first_delay: float = 0.2
    max_delay: float = 10.0
    max_unknown_attempts: int = 5

    def delay(self, attempt: int) -> float:
        # Full jitter keeps a fleet of consumers from retrying a recovering database in lockstep.
        return random.uniform(0, min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


async def raw_body(message: StreamMessage[Any]) -> bytes:
    """Skip FastStream's decoding: parsing (and rejecting) the bytes is this module's job."""
    return message.body


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
) -> None:
    """Register ``handle`` for every message of ``topic`` in consumer group ``group_id``.

    Args:
        broker: The service's broker (not yet started).
        topic: The topic to consume, as resolved by the service's settings.
        dead_letter_topic: Where unprocessable messages are parked, with the reason in headers.
        group_id: The consumer group; a constant, since renaming it re-reads the topic's history.
        adapter: Parses the message bytes into the topic's event union; failures dead-letter.
        handle: The use case to run; it must be idempotent (messages can arrive twice).
        metrics: Where consumed, retried and dead-lettered messages are counted.
        retry: Backoff between attempts.
        order_id_of: Extracts the order id for log lines, when the event has one.
    """

    async def dead_letter(message: KafkaMessage, error: Exception) -> None:
        record: ConsumerRecord[bytes, bytes] = message.raw_message
        headers = {name: value.decode("utf-8", "replace") for name, value in record.headers}
        headers.update(
            {
                "x-dlq-reason": reason_of(error)[:2000],
                "x-dlq-original-topic": record.topic,
                "x-dlq-original-partition": str(record.partition),
                "x-dlq-original-offset": str(record.offset),
                "x-dlq-consumer-group": group_id,
                "x-dlq-failed-at": datetime.now(UTC).isoformat(),
            }
        )
        value = record.value or b""
        await broker.publish(value, topic=dead_letter_topic, key=record.key, headers=headers)
        metrics.dead_lettered.labels(topic, type(error).__name__).inc()
        log.warning(
            "message dead-lettered",
            extra={"topic": topic, "offset": record.offset, "reason": type(error).__name__},
        )

    async def process(body: bytes) -> None:
        event = adapter.validate_json(body)
        event_id = getattr(event, "event_id", None)
        with log_context(event_id=event_id and str(event_id), order_id=order_id_of(event)):
            await handle(event)
            # One line per handled event, carrying the trace, span, event and order ids.
            log.info(
                "event handled",
                extra={"topic": topic, "event_type": getattr(event, "event_type", None)},
            )

    async def consume(body: bytes, message: KafkaMessage) -> None:
        set_consumer_group(group_id)
        started = time.perf_counter()
        outcome = "ok"
        for attempt in itertools.count(1):
            try:
                await process(body)
                break
            except Exception as error:  # classified here, never swallowed
                transient = is_transient(error)
                if is_permanent(error) or (not transient and attempt >= retry.max_unknown_attempts):
                    await _until_done(
                        functools.partial(dead_letter, message, error), retry, topic, metrics
                    )
                    outcome = "dead_lettered"
                    break
                kind = "transient" if transient else "unknown"
                metrics.retried.labels(topic, kind).inc()
                log.warning(
                    "handler failed, retrying",
                    extra={"topic": topic, "attempt": attempt, "error": type(error).__name__},
                    exc_info=not transient,
                )
                await asyncio.sleep(retry.delay(attempt))
        await message.ack()
        metrics.consumed.labels(topic, outcome).inc()
        metrics.handler_seconds.labels(topic).observe(time.perf_counter() - started)

    broker.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=raw_body,
        title=f"{group_id}:{topic}",
    )(consume)


async def _until_done(
    action: Callable[[], Awaitable[None]], retry: RetryPolicy, topic: str, metrics: MessagingMetrics
) -> None:
    """Run ``action`` until it succeeds.

    Giving up would let the next message's commit skip this one silently; a partition that stops
    instead shows up as consumer lag and in the logs.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            await action()
            return
        except Exception:
            metrics.retried.labels(topic, "dead_letter").inc()
            log.exception("dead-letter publish failed, retrying", extra={"topic": topic})
            await asyncio.sleep(retry.delay(attempt))
