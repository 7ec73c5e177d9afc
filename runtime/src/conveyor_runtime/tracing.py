"""One trace per order: span attributes on every Kafka hop, and the order's trace remembered.

FastStream's telemetry middleware carries the W3C context across Kafka and names the spans; this
module fills what it leaves out of OpenTelemetry's messaging conventions and adds the order id
(``conveyor.order_id``, what SREs search Jaeger by).

Work that no message with a trace header causes (a timer firing, an HTTP call, a carrier event
that arrived without ``traceparent``) finds the order's trace through the W3C context each
aggregate document remembers from the write that created it (``TRACE_CONTEXT_FIELD``): timers are
parented in it, a handler already in another trace links to it, and events written without any
current span continue it.

What an HTTP request changes on an order's documents joins the order's trace
(``conveyor_runtime.request_tracing``).
"""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from faststream.kafka.opentelemetry.provider import KafkaTelemetrySettingsProvider
from faststream.kafka.response import KafkaPublishCommand
from faststream.opentelemetry.middleware import TelemetryMiddleware
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.kafka import KafkaBroker
    from faststream.message import StreamMessage

ORDER_ID = "conveyor.order_id"
TRACE_CONTEXT_FIELD = "trace_context"
# The attribute of a link from a new trace to the order's, so a reader knows why it is there.
LINK_REASON = "conveyor.link.reason"

_propagator = TraceContextTextMapPropagator()


def envelope_attributes(body: object) -> dict[str, str]:
    """``messaging.message.id`` (the event id) and ``conveyor.order_id`` of a message body.

    Every Conveyor message is a JSON envelope with ``event_id`` and, when it concerns an order,
    ``order_id``; nothing else of the body is read, so no personal data reaches a span. A body
    that is not such JSON (it will be dead-lettered) simply gets no attributes.
    """
    try:
        fields = json.loads(body) if isinstance(body, bytes | str) else body
    except ValueError:
        return {}
    if not isinstance(fields, Mapping):
        return {}
    attributes = {}
    if isinstance(event_id := fields.get("event_id"), str):
        attributes["messaging.message.id"] = event_id
    if isinstance(order_id := fields.get("order_id"), str):
        attributes[ORDER_ID] = order_id
    return attributes


class ConveyorTelemetrySettingsProvider(KafkaTelemetrySettingsProvider):
    """FastStream's Kafka attributes plus what the messaging conventions add.

    FastStream sets ``messaging.system``, the destination (on consume only as
    ``messaging.destination_publish.name``), partition, offset, key and ``messaging.operation``;
    it takes ``messaging.message.id`` from the offset. Added here: ``messaging.destination.name``
    and ``messaging.operation.type``/``.name`` on both sides, the current offset attribute name,
    the event id as message id and the order id. The consumer group is set by the subscriber,
    which knows it (``consumer.subscribe``).
    """

    def get_publish_attrs_from_cmd(self, cmd: KafkaPublishCommand) -> dict[str, Any]:
        attributes = super().get_publish_attrs_from_cmd(cmd)
        attributes["messaging.operation.type"] = "send"
        attributes["messaging.operation.name"] = "send"
        return attributes | envelope_attributes(cmd.body)

    def get_consume_attrs_from_message(
        self, msg: "StreamMessage[ConsumerRecord[bytes, bytes]]"
    ) -> dict[str, Any]:
        attributes = super().get_consume_attrs_from_message(msg)
        attributes["messaging.destination.name"] = msg.raw_message.topic
        attributes["messaging.operation.type"] = "process"
        attributes["messaging.operation.name"] = "process"
        attributes["messaging.kafka.offset"] = msg.raw_message.offset
        return attributes | envelope_attributes(msg.body)


# Set while ``traced_publish`` publishes: its span is the message's, the middleware adds none.
_traced_here: ContextVar[bool] = ContextVar("conveyor_traced_publish", default=False)


def _settings_provider(message: object) -> ConveyorTelemetrySettingsProvider | None:
    # A batch (a tuple of records) gets no span from the middleware: the consumer makes one
    # per message, in the trace its headers carry (``conveyor_runtime.consumer``).
    if isinstance(message, tuple | list) or (message is None and _traced_here.get()):
        return None
    return ConveyorTelemetrySettingsProvider()


async def traced_publish(
    broker: "KafkaBroker",
    tracer: Tracer,
    body: bytes,
    *,
    topic: str,
    key: bytes | None,
    headers: Mapping[str, str],
    correlation_id: str | None = None,
) -> None:
    """Publish with one producer span, the parent of the consumers' spans of this message.

    FastStream's middleware makes two spans per publish ("create", then "publish"); the
    services' publishes (outbox relay, dead letters) need one. The span gets the messaging
    attributes of the conventions plus the envelope's event and order ids.
    """
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation": "publish",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        **envelope_attributes(body),
    }
    if key is not None:
        attributes["messaging.kafka.message.key"] = key
    if correlation_id is not None:
        attributes["messaging.message.conversation_id"] = correlation_id
    with tracer.start_as_current_span(
        f"{topic} publish", kind=SpanKind.PRODUCER, attributes=attributes
    ):
        carrier = dict(headers)
        _propagator.inject(carrier)
        token = _traced_here.set(True)
        try:
            await broker.publish(
                body, topic=topic, key=key, headers=carrier, correlation_id=correlation_id
            )
        finally:
            _traced_here.reset(token)


def telemetry_middleware(tracer_provider: TracerProvider) -> TelemetryMiddleware[Any]:
    """FastStream's Kafka telemetry middleware with Conveyor's attributes, on the given provider."""
    return TelemetryMiddleware[KafkaPublishCommand](
        settings_provider_factory=_settings_provider,
        tracer_provider=tracer_provider,
        include_messages_counters=True,
    )


def current_trace_context() -> dict[str, str]:
    """The W3C carrier (``traceparent``) of the current span; empty when there is none."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def span_context_of(carrier: Mapping[str, str] | None) -> trace.SpanContext | None:
    """The span context a stored W3C carrier points at, if it holds a valid one."""
    if not carrier:
        return None
    span_context = trace.get_current_span(_propagator.extract(dict(carrier))).get_span_context()
    return span_context if span_context.is_valid else None


def trace_id_of(carrier: Mapping[str, str] | None) -> str | None:
    """The 32-hex-digit trace id a stored carrier points at, if it holds a valid one."""
    span_context = span_context_of(carrier)
    return trace.format_trace_id(span_context.trace_id) if span_context else None


def link_to_order_trace(carrier: Mapping[str, str] | None) -> None:
    """Link the current span to the order's trace when it belongs to another one.

    That happens when a message arrived without a trace header (a carrier that drops it):
    FastStream then starts a new trace, and this link is what leads from it to the order.
    """
    span = trace.get_current_span()
    origin = span_context_of(carrier)
    if origin is None or not span.is_recording():
        return
    if span.get_span_context().trace_id != origin.trace_id:
        span.add_link(origin, {LINK_REASON: "order_trace"})


@contextmanager
def span_in_order_trace(
    tracer: Tracer, name: str, carrier: Mapping[str, str] | None, attributes: Mapping[str, str]
) -> Iterator[Span]:
    """A current span for work no message caused (a timer), parented in the order's trace.

    Without a remembered trace (a document older than this mechanism) the span is a new root.
    """
    parent = span_context_of(carrier)
    context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent else None
    with tracer.start_as_current_span(
        name, context=context, kind=SpanKind.INTERNAL, attributes=attributes
    ) as span:
        yield span


def set_consumer_group(group_id: str) -> None:
    """Put the consumer group on the current consume span (FastStream's provider cannot see it)."""
    span = trace.get_current_span()
    span.set_attribute("messaging.consumer.group.name", group_id)
    span.set_attribute(
        "messaging.kafka.consumer.group", group_id
    )  # the older name, FastStream's era
