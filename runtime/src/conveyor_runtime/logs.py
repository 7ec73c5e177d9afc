"""JSON-lines logging that carries the current trace, span, event and order ids.

Only ids and technical facts are logged; messages must never include personal data (names,
addresses, phone numbers, e-mails). The consumer sets ``event_id``/``order_id`` in context vars so
every line written while handling a message carries them without each call passing them on.
"""

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from opentelemetry import trace

_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)
_order_id: ContextVar[str | None] = ContextVar("order_id", default=None)


@contextmanager
def log_context(*, event_id: str | None = None, order_id: str | None = None) -> Iterator[None]:
    """Tag every log line written inside the block with these ids."""
    event_token = _event_id.set(event_id)
    order_token = _order_id.set(order_id)
    try:
        yield
    finally:
        _event_id.reset(event_token)
        _order_id.reset(order_token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, and ``extra`` fields."""

    _reserved = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            line["trace_id"] = format(span_context.trace_id, "032x")
            line["span_id"] = format(span_context.span_id, "016x")
        if event_id := _event_id.get():
            line["event_id"] = event_id
        if order_id := _order_id.get():
            line["order_id"] = order_id
        line.update(
            (key, value) for key, value in record.__dict__.items() if key not in self._reserved
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


# Loggers that repeat one complaint for every retry while a dependency is away: the Kafka and
# Mongo clients, the relay's retry of each pending document, and the span exporter while the
# trace collector is away (it still builds on a first run). Seen: ~1,400 aiokafka ERROR lines a
# second while the broker was down (41,000 in a 29 s outage).
REPEATING_LOGGERS = (
    "aiokafka",
    "kafka",
    "faststream",
    "pymongo",
    "conveyor_runtime.outbox",
    "opentelemetry.exporter",
)
REPEAT_WINDOW_SECONDS = 30.0


class RepeatedLines(logging.Filter):
    """Lets one line of each complaint through per window and counts the ones it held back.

    A warning or error of a repeating logger passes when its logger and message template were
    not seen within the window; the next that passes says how many were held back
    (``"repeated"``), so an outage reads as one line when it starts and one per window while it
    lasts, not thousands.
    """

    def __init__(
        self,
        window: float = REPEAT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self._last: dict[tuple[str, int, str], tuple[float, int]] = {}  # (passed at, held back)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(REPEATING_LOGGERS):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        passed_at, held_back = self._last.get(key, (None, 0))
        if passed_at is not None and now - passed_at < self.window:
            self._last[key] = (passed_at, held_back + 1)
            return False
        if held_back:
            record.repeated = held_back
        self._last[key] = (now, 0)
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stdout as JSON lines (called once, by ``__main__``)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RepeatedLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def current_trace_id() -> str | None:
    """The id of the current trace, as logs and Jaeger write it; None outside any span."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
