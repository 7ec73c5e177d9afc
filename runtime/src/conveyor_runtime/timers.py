"""Durable timers: a deadline lives in the document it concerns, and a poller fires it.

A document with something due keeps the earliest such instant in ``due_at``, and ``None`` when
nothing is due (set, not removed: a versioned update ``$set``s fields and never unsets them).
When a deadline passes, the poller hands the document's key to ``fire``, which is expected to be
a versioned ``OutboxDocuments.update``: handling what is due at that instant, moving ``due_at``
on and writing the events it emits in one single-document update. That update is the claim:
when two instances fire the same document, one of them loses the version check, re-reads
nothing due, and the deadline fires once. Deadlines survive restarts because they are data.

The poller keeps the collection's pending deadlines in memory and sleeps until the earliest. It
learns them from the collection's own writes (``OutboxDocuments`` reports each document it
stores, see ``stored``), and from a sweep of the collection at start and every
``sweep_seconds`` for deadlines written elsewhere (another instance, or before a restart). The
sweep is the only query on ``due_at``, and it is rare on purpose: FerretDB evaluates a range
filter by reading and decoding every document of the collection. A deadline the memory has
wrong costs one read of its document when it comes, never a wrong firing, since ``fire``
re-reads what is due.

A firing is a span in the trace of the order the document belongs to (the trace context the
document remembers, see ``conveyor_runtime.tracing``), so what a deadline causes is no orphan.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.trace import TracerProvider, get_tracer
from prometheus_client import Gauge
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.tracing import ORDER_ID, TRACE_CONTEXT_FIELD, span_in_order_trace

DUE_FIELD = "due_at"

log = logging.getLogger(__name__)

Fire = Callable[[Hashable, datetime], Awaitable[None]]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class TimerPoller:
    """Fires the due deadlines of one collection.

    The documents are keyed by order id (reservations, fulfilments, cases): the key is the
    firing span's ``conveyor.order_id``.
    """

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]] | str,
        fire: Fire,
        *,
        tracer_provider: TracerProvider | None = None,
        sweep_seconds: float = 30.0,
        retry_seconds: float = 1.0,
        clock: Clock = utc_now,
        known: Gauge | None = None,
    ) -> None:
        """``collection``: the documents' collection, or only its name for documents kept in
        memory (a component test), whose every deadline this process learns from its writes.
        ``known`` shows how many deadlines it knows of, when scraped."""
        self.collection = None if isinstance(collection, str) else collection
        self.fire = fire
        self.sweep_seconds = sweep_seconds
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.tracer = get_tracer(__name__, tracer_provider=tracer_provider)
        name = collection if isinstance(collection, str) else collection.name
        self.span_name = f"{name} timer fire"
        self._due: dict[Hashable, datetime] = {}
        self._order_traces: dict[Hashable, Mapping[str, str] | None] = {}
        self._rescheduled = asyncio.Event()
        if known is not None:
            known.set_function(lambda: len(self._due))

    def stored(
        self, key: Hashable, fields: Mapping[str, Any], order_trace: Mapping[str, str] | None
    ) -> None:
        """``fields`` are what the collection's document ``key`` now holds (a write, or a read
        that changed nothing): remember its deadline, or forget it when nothing is due."""
        self.schedule(key, fields.get(DUE_FIELD), order_trace)

    def schedule(
        self, key: Hashable, due_at: datetime | None, order_trace: Mapping[str, str] | None
    ) -> None:
        if due_at is None:
            self._due.pop(key, None)
            self._order_traces.pop(key, None)
            return
        self._due[key] = due_at
        self._order_traces[key] = order_trace
        self._rescheduled.set()

    def due(self, key: Hashable) -> datetime | None:
        """When this poller will fire ``key``'s deadline; None when it knows of none."""
        return self._due.get(key)

    async def sweep(self) -> int:
        """Learn every pending deadline of the collection; how many there are."""
        if self.collection is None:
            return len(self._due)  # in memory: nothing is written elsewhere
        cursor = self.collection.find(
            {DUE_FIELD: {"$ne": None}}, {"_id": 1, DUE_FIELD: 1, TRACE_CONTEXT_FIELD: 1}
        )
        pending = 0
        async for document in cursor:
            self.schedule(document["_id"], document[DUE_FIELD], document.get(TRACE_CONTEXT_FIELD))
            pending += 1
        return pending

    async def fire_due(self) -> int:
        """Fire every deadline known to have passed, earliest first; how many were fired."""
        now = self.clock()
        due = sorted((at, key) for key, at in self._due.items() if at <= now)
        fired = 0
        for at, key in due:
            if self._due.get(key) != at:
                continue  # moved by a write while earlier ones fired
            del self._due[key]
            order_trace = self._order_traces.pop(key, None)
            attributes = {ORDER_ID: str(key)}
            with span_in_order_trace(self.tracer, self.span_name, order_trace, attributes):
                try:
                    await self.fire(key, now)  # its write reports the next deadline, if any
                    fired += 1
                except ConcurrentUpdateError:
                    pass  # another instance claimed it first; it fired there
                except Exception:
                    # The key is an aggregate id, not personal.
                    log.exception("timer failed; retrying", extra={"key": key})
                    if key not in self._due:
                        retry_at = self.clock() + timedelta(seconds=self.retry_seconds)
                        self.schedule(key, retry_at, order_trace)
        return fired

    async def run(self) -> None:
        """Fire deadlines until cancelled; failures are retried, never fatal."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while True:
            if loop.time() >= next_sweep:
                try:
                    await self.sweep()
                except Exception:
                    log.exception("timer sweep failed; retrying at the next sweep")
                next_sweep = loop.time() + self.sweep_seconds
            try:
                await self.fire_due()
            except Exception:
                log.exception("timer pass failed; retrying")
            self._rescheduled.clear()
            wait = next_sweep - loop.time()
            if self._due:
                earliest = min(self._due.values())
                wait = min(wait, (earliest - self.clock()).total_seconds())
            # asyncio.timeout, not wait_for: see OutboxRelay.run (a lost cancellation).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0.0)):
                    await self._rescheduled.wait()
