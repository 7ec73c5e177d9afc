"""Aggregates stored one per document, each change written together with the events it emits.

The one write path every repository shares: under the keyed lock the outbox relay also takes,
a change is read, applied and written back with a version check and its events appended to the
document's outbox, in a single-document update; then the relay is told.
"""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxMessage, OutboxRelay

T = TypeVar("T")
Change = Callable[[T], tuple[T, list[OutboxMessage]]]


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
        relay: OutboxRelay,
        *,
        encode: Callable[[T], dict[str, Any]],
        decode: Callable[[dict[str, Any]], T],
    ) -> None:
        self.collection = collection
        self.locks = locks
        self.relay = relay
        self.encode = encode
        self.decode = decode

    async def insert(self, value: T, events: Sequence[OutboxMessage]) -> bool:
        """Store a new document with its events; False when its ``_id`` is taken."""
        document = self.encode(value) | {
            "version": 1,
            OUTBOX_FIELD: [event.model_dump() for event in events],
        }
        async with self.locks.hold(document["_id"]):
            try:
                await self.collection.insert_one(document)
            except DuplicateKeyError:
                return False
        if events:
            self.relay.notify(document["_id"])
        return True

    async def update(self, key: str, change: Change[T]) -> T | None:
        """Apply ``change`` with its events atomically; None when there is no such document."""
        async with self.locks.hold(key):
            document = await self.collection.find_one({"_id": key}, {OUTBOX_FIELD: 0})
            if document is None:
                return None
            value = self.decode(document)
            changed, events = change(value)
            if changed == value and not events:
                return value
            fields = self.encode(changed)
            del fields["_id"]
            result = await self.collection.update_one(
                {"_id": key, "version": document["version"]},
                {
                    "$set": fields | {"version": document["version"] + 1},
                    "$push": {OUTBOX_FIELD: {"$each": [event.model_dump() for event in events]}},
                },
            )
            if result.matched_count != 1:
                raise ConcurrentUpdateError(key)
        if events:
            self.relay.notify(key)
        return changed

    async def get(self, key: str) -> T | None:
        document = await self.collection.find_one({"_id": key}, {OUTBOX_FIELD: 0})
        return self.decode(document) if document else None
