"""Aggregates stored one per document, each change written together with the events it emits.

The one write path every repository shares: under the keyed lock the outbox relay also takes,
a change is read, applied and written back with a version check and its events appended to the
document's outbox, in a single-document update; then the relay is told.

What a change costs is kept low, since the database is the scarce resource: the documents this
process wrote last are kept (``recent_documents``), so a change is usually the versioned write
alone (the version check catches a copy another process made stale); a document not seen yet is
inserted before it is looked for (``upsert``); while the consumer handles one key's messages, the
changes they make to that key's own documents are held and written once (``coalescing``, in
``key_scope``); and the reads, inserts and writes that the handlers of different keys make at the
same time go to the database as one command of each kind (``Batches``, in ``document_batches``).

It is also where a document remembers the trace of the order it belongs to (the one current when
it was created) and where later work finds it again (see ``conveyor_runtime.tracing``): a change
made while serving an HTTP request is made in the order's trace (``in_order_trace``), and so is
a document of the same key first written in a request that read one remembering the order's
trace.
"""

import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from contextlib import ExitStack
from typing import Any, Generic, TypeVar

from opentelemetry import context as otel_context
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.document_batches import WRITE_ID_FIELD, DocumentBatches, VersionedWrite
from conveyor_runtime.key_scope import Held, KeyScope, current_scope
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxMessage, OutboxRelay
from conveyor_runtime.recent_documents import RecentDocuments
from conveyor_runtime.request_tracing import (
    in_order_trace,
    in_request_trace,
    remember_order_trace,
    request_order_trace,
    trace_to_remember,
)
from conveyor_runtime.tracing import TRACE_CONTEXT_FIELD, current_trace_context, link_to_order_trace

T = TypeVar("T")
Change = Callable[[T], tuple[T, list[OutboxMessage]]]
# What every document holds beside its value, which ``decode`` is not given.
_RUNTIME_FIELDS = frozenset({"version", WRITE_ID_FIELD, TRACE_CONTEXT_FIELD, OUTBOX_FIELD})
# Told what a document holds after each write (or read that changed nothing), with the trace of
# its order: how a timer poller learns deadlines without querying for them.
Stored = Callable[[Hashable, Mapping[str, Any], Mapping[str, str] | None], None]


class ConcurrentUpdateError(ConnectionError):
    """Another process changed the document between read and write; retrying re-reads it.

    A ``ConnectionError`` so the consumer treats it as transient and retries with backoff.
    """


class OutboxDocuments(Generic[T]):
    """A collection of ``T``, encoded one per document, whose changes carry their events."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        locks: KeyedLock,
        relay: OutboxRelay | None,
        *,
        encode: Callable[[T], dict[str, Any]],
        decode: Callable[[dict[str, Any]], T],
        order_keyed: bool = True,
        coalesced: bool = False,
        on_stored: Stored | None = None,
    ) -> None:
        """``order_keyed=False`` for documents that belong to no one order (stock per SKU):
        they remember no trace, since the one that created them is not an order's.

        ``coalesced=True`` for documents whose ``_id`` is the key of the messages that change
        them (an order's document, changed by its order's events): the consumer handles one
        key's messages one after another, so their changes can be held and written once (see
        ``coalescing``). Not for documents whose write must be stored before the handler goes
        on (a plan recorded before stock is taken)."""
        self.collection = collection
        self.locks = locks
        self.relay = relay
        self.encode = encode
        self.decode = decode
        self.order_keyed = order_keyed
        self.coalesced = coalesced
        self.on_stored = on_stored
        self._recent = RecentDocuments()
        batches = DocumentBatches(collection)
        self._find, self._insert, self._update = batches.find, batches.insert, batches.update

    async def insert(self, value: T, events: Sequence[OutboxMessage]) -> bool:
        """Store a new document with its events; False when its ``_id`` is taken."""
        document = self.encode(value) | {"version": 1}
        order_trace = request_order_trace(document["_id"]) if self.order_keyed else None
        with in_order_trace(order_trace):
            return await self._insert_new(document, _rejoined(events, order_trace))

    async def _insert_new(self, document: dict[str, Any], events: Sequence[OutboxMessage]) -> bool:
        relay = self._relay_for(events)
        document[OUTBOX_FIELD] = [event.model_dump() for event in events]
        if self.order_keyed:
            document[TRACE_CONTEXT_FIELD] = trace_to_remember()
        async with self.locks.hold(document["_id"]):
            if document["_id"] in self._recent:
                return False  # documents are never deleted: a cached one is taken
            if not await self._insert(document):
                return False
            self._recent.remember(document)
            self._stored(document["_id"], document, document.get(TRACE_CONTEXT_FIELD))
            if relay is not None:
                relay.notify(document["_id"], events)
        return True

    async def update(self, key: str, change: Change[T]) -> T | None:
        """Apply ``change`` with its events atomically; None when there is no such document.

        The document is read from this process's cache of recent writes when it is there, so
        a change usually costs one database operation: the versioned write. Should another
        process have written it since (the version moved), the write matches nothing, and the
        document is read again and the change applied again: ``change`` must be pure. A change
        that finds nothing to do on the cached document, or raises on it (a shipment another
        instance added is not in this copy), is also tried again on a fresh read, since a
        stale copy could be why.

        While the consumer handles the messages of this document's own key (``coalescing``),
        a coalesced collection holds the change instead and writes it, with the key's other
        changes, once those messages are handled.
        """
        scope = current_scope()
        if self.coalesced and scope is not None and scope.key == key:
            return await self._hold(scope, key, change)
        async with self.locks.hold(key):
            with ExitStack() as traced:
                return await self._change(key, change, traced)

    async def _change(self, key: str, change: Change[T], traced: ExitStack) -> T | None:
        """``update``'s read, change and write, the key's lock held; the first read enters the
        order's trace into ``traced``, which stays in it until the update is done."""
        for attempt in range(2):
            cached = self._recent.get(key) if attempt == 0 else None
            document = dict(cached) if cached is not None else await self._read(key)
            if document is None:
                return None
            order_trace = document.pop(TRACE_CONTEXT_FIELD, None)
            if attempt == 0:
                remember_order_trace(key, order_trace)
                traced.enter_context(in_order_trace(order_trace))
            value = self._value(document)
            try:
                changed, events = change(value)
            except Exception:
                if cached is not None:
                    continue  # the copy may be what the change refuses: ask the database
                raise
            events = _in_trace(events, order_trace)
            if changed == value and not events:
                if cached is not None:
                    continue  # nothing to do, says the cache: only the database can say so
                self._stored(key, document, order_trace)
                return value
            try:
                await self._write(document, changed, events, order_trace)
            except ConcurrentUpdateError:
                if cached is not None:
                    continue  # the cache was behind another process: read and retry once
                raise
            return changed
        raise ConcurrentUpdateError(key)

    async def upsert(self, key: str, change: Change[T], new: T) -> T:
        """Apply ``change`` to the document, created from ``new`` when there is none yet; a
        change that leaves ``new`` as it is stores nothing.

        A document this process has not seen is most often a new one (an order's first fact
        on this service): its insert is tried first, one operation instead of a read that
        finds nothing and then the insert.
        """
        scope = current_scope()
        known = key in self._recent or (scope is not None and (id(self), key) in scope.held)
        if not known:
            created, events = change(new)
            if (created != new or events) and await self.insert(created, events):
                return created
        updated = await self.update(key, change)
        if updated is not None:
            return updated
        created, events = change(new)
        if (created == new and not events) or await self.insert(created, events):
            return created
        updated = await self.update(key, change)  # created meanwhile: apply to it
        if updated is None:
            raise ConcurrentUpdateError(key)
        return updated

    async def _hold(self, scope: KeyScope, key: str, change: Change[T]) -> T | None:
        """Apply ``change`` to the scope's copy of the document, to be written at its flush."""
        async with self.locks.hold(key):
            held = scope.held.get((id(self), key))
            for attempt in range(2):
                if held is None:
                    cached = self._recent.get(key) if attempt == 0 else None
                    document = dict(cached) if cached is not None else await self._read(key)
                    if document is None:
                        return None
                    order_trace = document.pop(TRACE_CONTEXT_FIELD, None)
                    held = Held(self, key, document, order_trace, from_cache=cached is not None)
                    if attempt == 0:
                        link_to_order_trace(order_trace)
                value = self._value(held.document)
                try:
                    changed, events = change(value)
                except Exception:
                    if held.changed is None and held.from_cache:
                        held = None  # the copy may be what the change refuses: ask the database
                        continue
                    raise
                events = _in_trace(events, held.order_trace)
                if changed == value and not events:
                    if held.changed is None and held.from_cache:
                        held = None  # nothing to do, says the cache: ask the database
                        continue
                    if held.changed is None:
                        self._stored(key, held.document, held.order_trace)
                        scope.held[(id(self), key)] = held  # fresh: the key's next change uses it
                    return value
                held.document = held.document | self.encode(changed)
                held.changed = changed
                held.events.extend(events)
                held.context = otel_context.get_current()  # the flush's spans go in its trace
                scope.held[(id(self), key)] = held
                return changed
        raise AssertionError("unreachable: the second attempt reads the database")

    async def _write(
        self,
        document: Mapping[str, Any],
        changed: T,
        events: list[OutboxMessage],
        order_trace: Mapping[str, str] | None,
    ) -> None:
        """The versioned write of ``changed`` over ``document`` (as read, its trace left out;
        the caller holds the key's lock); ConcurrentUpdateError when the document's version is
        no longer the one read."""
        relay = self._relay_for(events)
        key, version = document["_id"], document["version"]
        fields = {name: value for name, value in self.encode(changed).items() if name != "_id"}
        write_id = uuid.uuid4().hex
        fields |= {"version": version + 1, WRITE_ID_FIELD: write_id}
        update: dict[str, Any] = {"$set": fields}
        if events:
            update["$push"] = {OUTBOX_FIELD: {"$each": [event.model_dump() for event in events]}}
        if not await self._update(VersionedWrite(key, version, update, write_id)):
            self._recent.forget(key)
            raise ConcurrentUpdateError(key)
        written = dict(document) | fields
        if order_trace:
            written[TRACE_CONTEXT_FIELD] = order_trace
        self._recent.remember(written)
        self._stored(key, fields, order_trace)
        if relay is not None:  # under the lock: the relay knows the entries before these
            relay.appended(key, events)

    async def _read(self, key: str) -> dict[str, Any] | None:
        """The document as stored (under the key's lock); entries a crash or another process
        left in its outbox are handed to the relay, which then knows all of them."""
        document = await self._find(key)
        if document is None:
            return None
        left = document.pop(OUTBOX_FIELD, [])
        relay = self._relay_for(left)
        if relay is not None:
            relay.notify(key, [OutboxMessage.model_validate(entry) for entry in left])
        self._recent.remember(document)  # a copy of its own: the caller may change this one
        return document

    def _relay_for(self, events: Sequence[object]) -> OutboxRelay | None:
        """The relay to tell of ``events`` (None for none); refused before anything is written
        where no relay would ever publish them."""
        if events and self.relay is None:
            raise TypeError(f"{self.collection.name} has no outbox relay: its changes emit nothing")
        return self.relay if events else None

    def _value(self, document: Mapping[str, Any]) -> T:
        """The ``T`` a document holds, without what this module stores beside it."""
        return self.decode(
            {name: value for name, value in document.items() if name not in _RUNTIME_FIELDS}
        )

    def _stored(
        self, key: Hashable, fields: Mapping[str, Any], order_trace: Mapping[str, str] | None
    ) -> None:
        if self.on_stored is not None:
            self.on_stored(key, fields, order_trace)

    async def get(self, key: str) -> T | None:
        scope = current_scope()
        held = scope.held.get((id(self), key)) if scope is not None else None
        if held is not None and held.changed is not None:
            changed: T = held.changed  # what this key's handling changed, not yet written
            return changed
        document = await self._find(key)
        if document is None:
            return None
        if self.order_keyed:
            remember_order_trace(key, document.get(TRACE_CONTEXT_FIELD))
        return self._value(document)


def _in_trace(
    events: list[OutboxMessage], order_trace: Mapping[str, str] | None
) -> list[OutboxMessage]:
    """Events written with no span current (an HTTP call) continue the order's trace instead of
    each starting an orphan one when the relay publishes them."""
    if not order_trace:
        return events
    return [
        event if event.trace else event.model_copy(update={"trace": dict(order_trace)})
        for event in events
    ]


def _rejoined(
    events: Sequence[OutboxMessage], order_trace: Mapping[str, str] | None
) -> Sequence[OutboxMessage]:
    """Events an HTTP request made in its own trace before its write joined the order's
    (``upsert`` makes the change before it inserts), moved into the order's trace."""
    if not order_trace:
        return events
    joined = current_trace_context()
    return [
        event.model_copy(update={"trace": joined}) if in_request_trace(event.trace) else event
        for event in events
    ]
