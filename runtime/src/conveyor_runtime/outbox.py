"""The transactional outbox, kept inside the changed document, and the relay that drains it.

A state change and the events it emits are written in one single-document atomic update (the
database has no multi-document transactions to rely on). The relay then publishes each pending
event with the trace context of the write that produced it, and removes it from the document.
A crash between publish and removal re-publishes the same event id; consumers dedupe by it.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from opentelemetry import context
from opentelemetry.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import Batches, KeyedLock
from conveyor_runtime.tracing import current_trace_context, traced_publish

log = logging.getLogger(__name__)
_propagator = TraceContextTextMapPropagator()

OUTBOX_FIELD = "outbox"
# Documents whose outboxes are published at the same time: many publishes in flight.
FLUSHES_AT_ONCE = 64


_EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a4e-8d3b-4f5e-9a7c-0b1d2e3f4a5b")


def derived_event_id(cause: uuid.UUID, name: str) -> uuid.UUID:
    """The id of an event caused by ``cause``: the same on every retry of the same cause.

    A redelivered message re-runs its handler; deriving ids instead of drawing them makes the
    re-emitted events identical, so consumers' dedupe by ``event_id`` sees them as one.

    Args:
        cause: The causing event's id.
        name: Tells apart the several events one cause emits, e.g. ``"OrderAccepted"``.
    """
    return uuid.uuid5(_EVENT_ID_NAMESPACE, f"{cause}/{name}")


class OutboxMessage(BaseModel):
    """An event waiting in its document to be published."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    topic: str
    key: str
    payload: str
    trace: dict[str, str] = {}


def outbox_message(event: Envelope, *, topic: str, key: str) -> OutboxMessage:
    """Wrap ``event`` for the outbox, remembering the current trace so the publish continues it."""
    return OutboxMessage(
        event_id=str(event.event_id),
        event_type=event.event_type,
        topic=topic,
        key=key,
        payload=event.model_dump_json(),
        trace=current_trace_context(),
    )


class OutboxStore(Protocol):
    """Where documents keep their pending events; Mongo in production, a dict in fast tests."""

    async def pending(self, document_id: Hashable) -> list[OutboxMessage]: ...

    async def remove(self, document_id: Hashable, messages: list[OutboxMessage]) -> None: ...

    async def documents_with_pending(self) -> list[Hashable]: ...


class MongoOutboxStore:
    """The outbox array of the documents of one collection.

    Removals that arrive while a bulk write is under way wait for the next one and go together
    (``Batches``): a relay flushing many documents at once pays one round trip, not one per
    document.
    """

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection
        self._removals = Batches(self._remove_many)

    async def pending(self, document_id: Hashable) -> list[OutboxMessage]:
        document = await self.collection.find_one({"_id": document_id}, {OUTBOX_FIELD: 1})
        return [
            OutboxMessage.model_validate(item) for item in (document or {}).get(OUTBOX_FIELD, [])
        ]

    async def remove(self, document_id: Hashable, messages: list[OutboxMessage]) -> None:
        # $pullAll of the exact entries: FerretDB v1 silently ignores $pull with a condition.
        entries = [message.model_dump() for message in messages]
        await self._removals(UpdateOne({"_id": document_id}, {"$pullAll": {OUTBOX_FIELD: entries}}))

    async def _remove_many(self, removals: list[UpdateOne]) -> list[None]:
        await self.collection.bulk_write(removals)
        return [None] * len(removals)

    async def documents_with_pending(self) -> list[Hashable]:
        cursor = self.collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {"_id": 1})
        return [document["_id"] async for document in cursor]


Publish = Callable[[OutboxMessage], Awaitable[None]]


def kafka_publisher(
    broker: KafkaBroker, metrics: MessagingMetrics, tracer_provider: TracerProvider
) -> Publish:
    """Publish an outbox message, confirmed, as a child of the span that wrote it."""
    tracer = tracer_provider.get_tracer(__name__)

    async def publish(message: OutboxMessage) -> None:
        token = context.attach(_propagator.extract(message.trace))
        try:
            await traced_publish(
                broker,
                tracer,
                message.payload.encode(),
                topic=message.topic,
                key=message.key.encode(),
                correlation_id=message.event_id,
                headers={"content-type": "application/json", "event-type": message.event_type},
            )
        finally:
            context.detach(token)
        metrics.published(
            topic=message.topic,
            event_type=message.event_type,
            event_id=message.event_id,
            payload=message.payload,
        )

    return publish


class OutboxRelay:
    """Publishes what writers left in their documents' outboxes, in order, then removes it.

    Writers call ``notify`` after a successful write so events leave at once, handing over the
    document's whole outbox as that write left it, so the relay need not read it back; a
    periodic sweep picks up whatever a crash or an outage left behind, and those are read. Per
    document, the relay takes the same keyed lock as the writers, so a publish-then-remove never
    interleaves with an append, and the outbox it was handed is still the document's.
    """

    def __init__(
        self,
        store: OutboxStore,
        publish: Publish,
        locks: KeyedLock,
        *,
        sweep_seconds: float = 5.0,
        backlog: Gauge | None = None,
    ) -> None:
        self.store = store
        self.backlog = backlog  # documents with pending entries, set at each sweep
        self.publish = publish
        self.locks = locks
        self.sweep_seconds = sweep_seconds
        # Documents to flush, in notification order, each with its outbox as last written by
        # this process, or None when it must be read.
        self._dirty: dict[Hashable, list[OutboxMessage] | None] = {}
        self._wake = asyncio.Event()

    def notify(self, document_id: Hashable, outbox: Sequence[OutboxMessage] | None = None) -> None:
        """Tell the relay a document has new outbox entries.

        Args:
            document_id: The document written.
            outbox: All its pending entries right after the write, made under the writers'
                lock; None to have the relay read them.
        """
        self._dirty[document_id] = None if outbox is None else list(outbox)
        self._wake.set()

    def appended(self, document_id: Hashable, events: Sequence[OutboxMessage]) -> None:
        """Tell the relay ``events`` were appended to a document whose earlier entries it was
        handed (written by this process, or read with what was left in it), so it need not
        read the outbox back; the writers' lock is held."""
        if document_id not in self._dirty:
            self._dirty[document_id] = list(events)  # the earlier ones are published and gone
        elif (known := self._dirty[document_id]) is not None:
            known.extend(events)
        self._wake.set()

    async def flush(self, document_id: Hashable) -> None:
        """Publish and remove every pending entry of one document, oldest first."""
        async with self.locks.hold(document_id):
            # Taken under the lock: no write can come between the outbox handed over and now.
            handed_over = self._dirty.pop(document_id, None)
            messages = (
                handed_over if handed_over is not None else await self.store.pending(document_id)
            )
            for message in messages:
                await self.publish(message)
            if messages:
                await self.store.remove(document_id, messages)

    async def run(self) -> None:
        """Relay until cancelled; failures are retried, never fatal."""
        loop = asyncio.get_running_loop()
        await self._sweep()
        next_sweep = loop.time() + self.sweep_seconds
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event is set (python/cpython#86296), and shutdown then waits forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(next_sweep - loop.time()):
                    await self._wake.wait()
            self._wake.clear()
            # Swept on schedule even while notifications keep coming, so entries a crash left
            # behind are not starved by a busy relay and the backlog gauge stays current.
            if loop.time() >= next_sweep:
                await self._sweep()
                next_sweep = loop.time() + self.sweep_seconds
            await self._drain()

    async def _sweep(self) -> None:
        try:
            pending = await self.store.documents_with_pending()
            for document_id in pending:
                self._dirty.setdefault(document_id, None)
            if pending:
                # Drained now, not at the next notification: after a restart on a quiet
                # service that would be the next sweep, minutes away.
                self._wake.set()
            if self.backlog is not None:
                self.backlog.set(len(pending))
        except Exception:
            log.exception("outbox sweep failed; retrying at the next sweep")

    async def _drain(self) -> None:
        """Flush every dirty document, many at once: each keeps its own order, and the
        publishes and removals of different documents overlap."""
        slots = asyncio.Semaphore(FLUSHES_AT_ONCE)

        async def flush_one(document_id: Hashable) -> None:
            async with slots:
                try:
                    await self.flush(document_id)
                except Exception:
                    log.exception(
                        "outbox publish failed; will retry",
                        extra={"document_id": str(document_id)},
                    )
                    self._dirty.setdefault(document_id, None)  # read again: what is left is unknown
                    await asyncio.sleep(1.0)  # let the broker or database recover

        while self._dirty:
            await asyncio.gather(*(flush_one(document_id) for document_id in list(self._dirty)))
