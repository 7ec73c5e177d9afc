"""Durable timers: a deadline lives in the document it concerns, and a poller fires it.

A document with something due keeps the earliest such instant in ``due_at``, and ``None`` when
nothing is due (set, not removed: a versioned update ``$set``s fields and never unsets them).
The poller looks for documents whose ``due_at`` has passed and hands each to ``fire``, which is
expected to be a versioned ``OutboxDocuments.update``: handling the deadline, moving ``due_at``
on and writing the events it emits in one single-document update. That update is the claim:
when two instances fire the same document, one of them loses the version check, re-reads
nothing due, and the deadline fires once. Deadlines survive restarts because they are data.

A firing is a span in the trace of the order the document belongs to (the trace context the
document remembers, see ``conveyor_runtime.tracing``), so what a deadline causes is no orphan.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import TracerProvider, get_tracer
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
    """Fires the due deadlines of one collection, every ``interval_seconds``.

    The documents are keyed by order id (reservations, fulfilments, cases): the key is the
    firing span's ``conveyor.order_id``.
    """

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        fire: Fire,
        *,
        tracer_provider: TracerProvider | None = None,
        interval_seconds: float = 1.0,
        batch: int = 100,
        clock: Clock = utc_now,
    ) -> None:
        self.collection = collection
        self.fire = fire
        self.interval_seconds = interval_seconds
        self.batch = batch
        self.clock = clock
        self.tracer = get_tracer(__name__, tracer_provider=tracer_provider)
        self.span_name = f"{collection.name} timer fire"

    async def fire_due(self) -> int:
        """One pass: fire every document due now (up to ``batch``); how many were fired."""
        now = self.clock()
        cursor = (
            self.collection.find({DUE_FIELD: {"$lte": now}}, {"_id": 1, TRACE_CONTEXT_FIELD: 1})
            .sort(DUE_FIELD, 1)
            .limit(self.batch)
        )
        fired = 0
        for document in await cursor.to_list():
            key = document["_id"]
            attributes = {ORDER_ID: str(key)}
            order_trace = document.get(TRACE_CONTEXT_FIELD)
            with span_in_order_trace(self.tracer, self.span_name, order_trace, attributes):
                try:
                    await self.fire(key, now)
                    fired += 1
                except ConcurrentUpdateError:
                    pass  # another instance claimed it first; it fired there
                except Exception:
                    # Left due: the next pass retries it. The key is an aggregate id, not personal.
                    log.exception("timer failed; retrying at the next pass", extra={"key": key})
        return fired

    async def run(self) -> None:
        """Poll until cancelled; failures are retried, never fatal."""
        try:
            await self.collection.create_index(DUE_FIELD)  # idempotent; what MongoDB polls by
        except Exception:
            log.exception("could not index due_at; polling without it")
        while True:
            try:
                await self.fire_due()
            except Exception:
                log.exception("timer poll failed; retrying")
            await asyncio.sleep(self.interval_seconds)
