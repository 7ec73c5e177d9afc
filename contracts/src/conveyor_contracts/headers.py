"""The Kafka headers a message carries next to its JSON value, and those of a dead letter.

The payload is the contract: Conveyor's consumers route and validate on the envelope, never on a
header, so every header is optional for a producer. Conveyor's own producers (the outbox relay)
always send ``content-type``, ``correlation_id``, ``event-type`` and ``traceparent``; an outside
producer (a carrier) should copy ``traceparent`` from the request it answers, so that its reply
continues the order's trace.

Values are text on the wire (Kafka header values are bytes, UTF-8 here), so partition and
offset numbers are digit strings. Validate a record's headers with
``MessageHeaders.model_validate({name: value.decode() for name, value in record.headers})``.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from conveyor_contracts.envelope import UtcDatetime

# The header names. The models below spell them again as literal aliases, which the mypy
# plugin can check; a contract test checks that each constant is its field's alias.
CONTENT_TYPE = "content-type"
# FastStream's message-id header. Conveyor's producers put the envelope's event_id in it, so it
# names one message and correlates nothing: a flow is correlated by the payload's correlation_id.
EVENT_ID = "correlation_id"
EVENT_TYPE = "event-type"
TRACEPARENT = "traceparent"  # W3C Trace Context
TRACESTATE = "tracestate"
REPLAYED_FROM = "x-replayed-from"  # set by the operators' dead-letter replay

DEAD_LETTER_PREFIX = "x-dlq-"
DLQ_REASON = "x-dlq-reason"
DLQ_ORIGINAL_TOPIC = "x-dlq-original-topic"
DLQ_ORIGINAL_PARTITION = "x-dlq-original-partition"
DLQ_ORIGINAL_OFFSET = "x-dlq-original-offset"
DLQ_CONSUMER_GROUP = "x-dlq-consumer-group"
DLQ_FAILED_AT = "x-dlq-failed-at"

TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
_DIGITS = r"^[0-9]{1,19}$"


def _absent_is_not_null(schema: dict[str, Any]) -> None:
    # A header is there or not; it is never JSON null. Pydantic writes ``X | None`` as
    # anyOf [X, null]: keep X only, so the schema says what a header's value looks like.
    for prop in schema.get("properties", {}).values():
        branches = prop.pop("anyOf", None)
        if branches is not None:
            (kept,) = [branch for branch in branches if branch != {"type": "null"}]
            prop.update(kept)
            prop.pop("default", None)


_HEADERS_CONFIG = ConfigDict(frozen=True, extra="ignore", json_schema_extra=_absent_is_not_null)


class MessageHeaders(BaseModel):
    """Headers of a message on any topic. All optional: the payload alone is the contract."""

    model_config = _HEADERS_CONFIG

    content_type: str | None = Field(
        default=None,
        alias="content-type",
        pattern=r"^application/json",
        description="Always JSON (UTF-8).",
        examples=["application/json"],
    )
    event_id: str | None = Field(
        default=None,
        alias="correlation_id",
        max_length=128,
        description="Conveyor's producers: the payload's event_id (FastStream's message-id "
        "header). It identifies one message, not a flow; Conveyor reads it only into traces.",
        examples=["3f1c2a4e-9b7d-4c1e-8a55-0d6f2b9e7c10"],
    )
    event_type: str | None = Field(
        default=None,
        alias="event-type",
        pattern=r"^[A-Z][A-Za-z0-9]{1,63}$",
        description="The payload's event_type, for tools that filter without parsing the value. "
        "Consumers route on the payload's event_type, never on this header.",
        examples=["OrderPlaced"],
    )
    traceparent: str | None = Field(
        default=None,
        pattern=TRACEPARENT_PATTERN,
        description="W3C trace context of the span that published the message: the consumer's "
        "span becomes its child, so one order is one trace across every hop. A reply (a "
        "carrier's acceptance or scan) should carry the traceparent of the request it answers.",
        examples=["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    )
    tracestate: str | None = Field(
        default=None,
        alias="tracestate",
        max_length=512,
        description="W3C trace state that goes with traceparent, when the tracer has one.",
        examples=["vendor=opaque"],
    )
    replayed_from: str | None = Field(
        default=None,
        alias="x-replayed-from",
        pattern=r"^[A-Za-z0-9._-]+\.dlq/[0-9]+/[0-9]+$",
        description="On a message an operator replayed from a dead-letter topic: the "
        "'<dead-letter topic>/<partition>/<offset>' it was parked at.",
        examples=["checkout.orders.v1.dlq/4/118"],
    )


class DeadLetterHeaders(MessageHeaders):
    """Headers of a dead letter: the original message's headers plus the ``x-dlq-*`` ones.

    ``traceparent`` is the dead-letter publish span's, a child of the span that consumed the
    original, so the dead letter shows in the order's trace.
    """

    reason: str = Field(
        alias="x-dlq-reason",
        min_length=1,
        max_length=2000,
        description="Why the consumer could not process the message: the error's type and, for "
        "a schema violation, the failing fields and rules (never the message's content).",
        examples=[
            "ValidationError: tagged-union[OrderPlaced,OrderCancellationRequested]: "
            "OrderPlaced.lines: Field required"
        ],
    )
    original_topic: str = Field(
        alias="x-dlq-original-topic",
        pattern=r"^[A-Za-z0-9._-]{1,249}$",
        description="Topic the message was consumed from.",
        examples=["checkout.orders.v1"],
    )
    original_partition: str = Field(
        alias="x-dlq-original-partition",
        pattern=_DIGITS,
        description="Its partition there, as decimal digits.",
        examples=["4"],
    )
    original_offset: str = Field(
        alias="x-dlq-original-offset",
        pattern=_DIGITS,
        description="Its offset there, as decimal digits.",
        examples=["118"],
    )
    consumer_group: str = Field(
        alias="x-dlq-consumer-group",
        pattern=r"^[A-Za-z0-9._-]{1,249}$",
        description="Consumer group (service) that parked it.",
        examples=["orders"],
    )
    failed_at: UtcDatetime = Field(
        alias="x-dlq-failed-at",
        description="When it was parked (ISO 8601 with offset, UTC).",
        examples=["2026-03-14T18:05:10.250000+00:00"],
    )
