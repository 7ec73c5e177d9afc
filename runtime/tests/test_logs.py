"""JSON log lines carry the trace, span, event and order ids, and stay one object per line."""

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from conveyor_runtime.logs import JsonFormatter, log_context


def formatted(record_message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, record_message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_a_line_written_while_handling_a_message_carries_its_trace_and_ids() -> None:
    tracer = TracerProvider().get_tracer("test")
    with (
        tracer.start_as_current_span("process") as span,
        log_context(event_id="3f1c2a4e-9b7d-4c1e-8a55-0d6f2b9e7c10", order_id="ord_1"),
    ):
        line = formatted("handled", topic="checkout.orders.v1")
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert line["event_id"] == "3f1c2a4e-9b7d-4c1e-8a55-0d6f2b9e7c10"
    assert line["order_id"] == "ord_1"
    assert line["topic"] == "checkout.orders.v1"
    assert line["message"] == "handled"


def test_a_line_outside_any_span_or_message_has_no_ids() -> None:
    line = formatted("started")
    assert not {"trace_id", "span_id", "event_id", "order_id"} & line.keys()
