"""One message of a batch: its consumer span, parsing, the use case, and the decision to retry it
or dead-letter it (the rules are in ``conveyor_runtime.consumer``); and one key's messages in
order, the changes they make to the key's own documents held and written once at the end.
"""

import asyncio
import itertools
import logging
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from conveyor_runtime.consumer_config import Record, RetryPolicy, Route
from conveyor_runtime.dead_letter_publisher import DeadLetterPublisher
from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.failures import is_permanent, is_transient
from conveyor_runtime.key_scope import KeyScope, coalescing
from conveyor_runtime.logs import log_context
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.tracing import ORDER_ID

# The consumer's logger: its lines carry that name, and operators set its level by it (the
# per-event "event handled" line is DEBUG).
log = logging.getLogger("conveyor_runtime.consumer")
_propagator = TraceContextTextMapPropagator()

_handled: ContextVar[Record | None] = ContextVar("conveyor_handled_record", default=None)


def handled_record() -> Record | None:
    """The Kafka record whose handler is running (its headers, partition, offset), if any."""
    return _handled.get()


class MessageHandler:
    """One message: its span, parsing, the use case, retries and the dead letter."""

    def __init__(
        self,
        broker: KafkaBroker,
        group_id: str,
        metrics: MessagingMetrics,
        tracer: trace.Tracer,
        retry: RetryPolicy,
    ) -> None:
        self.group_id = group_id
        self.metrics = metrics
        self.tracer = tracer
        self.retry = retry
        self.dead_letters = DeadLetterPublisher(broker, group_id, metrics, tracer, retry)

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
                    await self.dead_letters.park(route, record, headers, error)
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
