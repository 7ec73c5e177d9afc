"""JSON log lines carry the trace, span, event and order ids, and stay one object per line."""

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from conveyor_runtime.logs import JsonFormatter, RepeatedLines, log_context


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


def test_a_client_repeating_one_complaint_writes_one_line_per_window_with_the_count() -> None:
    now = [0.0]
    repeats = RepeatedLines(window=30, clock=lambda: now[0])

    def complaint(logger: str = "aiokafka.conn", message: str = "Unable connect to %s") -> bool:
        record = logging.LogRecord(logger, logging.ERROR, __file__, 1, message, ("node",), None)
        passed = repeats.filter(record)
        if passed:
            lines.append(record)
        return passed

    lines: list[logging.LogRecord] = []
    for _ in range(1400):  # a second of a broker outage
        complaint()
        now[0] += 0.001
    assert len(lines) == 1
    assert not hasattr(lines[0], "repeated")
    assert complaint(message="Heartbeat failed")  # another complaint is news
    now[0] = 31.0
    assert complaint()
    assert lines[-1].repeated == 1399  # type: ignore[attr-defined]
    own = logging.LogRecord("orders", logging.ERROR, __file__, 1, "handler failed", None, None)
    assert all(repeats.filter(own) for _ in range(3))  # the service's own lines all pass


def test_the_span_exporter_retrying_while_jaeger_is_away_writes_one_line_per_window() -> None:
    repeats = RepeatedLines(window=30, clock=lambda: 0.0)
    retry = "Transient error %s encountered while exporting %s batch, retrying in %.2fs."
    logger = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
    records = [
        logging.LogRecord(
            logger, logging.WARNING, __file__, 1, retry, ("refused", "spans", delay), None
        )
        for delay in (0.84, 0.97, 1.04, 1.18)
    ]
    passed = [repeats.filter(record) for record in records]
    assert passed == [True, False, False, False]
