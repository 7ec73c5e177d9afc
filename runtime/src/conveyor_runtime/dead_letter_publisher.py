"""Parking a message the consumer cannot handle: its original bytes, key and headers, plus the
reason and where it came from (the ``x-dlq-*`` headers), on its topic's dead-letter topic,
published again until the broker confirms it (see ``conveyor_runtime.consumer``).
"""

import asyncio
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import trace

from conveyor_runtime.consumer_config import Record, RetryPolicy, Route
from conveyor_runtime.failures import reason_of
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.tracing import traced_publish

# The consumer's logger: its lines carry that name, and operators set its level by it.
log = logging.getLogger("conveyor_runtime.consumer")


class DeadLetterPublisher:
    """A consumer group's dead letters: one per message that cannot be handled."""

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

    async def park(
        self, route: Route[Any], record: Record, headers: dict[str, str], error: Exception
    ) -> None:
        """Dead-letter ``record`` with the reason ``error`` gives, once the broker confirms."""
        park = functools.partial(self._dead_letter, route, record, headers, error)
        await self._until_done(park, route.topic)

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
