"""Timelines and cases in MongoDB (or FerretDB): one document per order in each collection.

A timeline document holds the order's entries (already in causal order) and the buyer id; a
cases document holds the order's cases, the events they emit (outbox) and the next deadline, a
first response's or the personal data's end (``due_at``, for the timer poller; ``None`` when
nothing is due).
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments, Stored
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet, WiredChange
from conveyor_runtime.timers import DUE_FIELD
from support.adapters.wire import order_correlation
from support.domain.cases import OrderCases
from support.domain.events import SupportEvent
from support.domain.privacy import next_due
from support.domain.timeline import Timeline
from support.ports import CasesChange, TimelineChange

_TIMELINE = TypeAdapter(Timeline)
_CASES = TypeAdapter(OrderCases)
_STORAGE_FIELDS = ("_id", "version", DUE_FIELD, OUTBOX_FIELD)


def _encode_timeline(timeline: Timeline) -> dict[str, Any]:
    # JSON mode: instants keep their microseconds (BSON dates keep milliseconds only), so the
    # causal order computed before a write is the order computed after reading it back.
    fields = _TIMELINE.dump_python(timeline, mode="json")
    return {"_id": fields.pop("order_id"), **fields}


def decode_timeline(document: dict[str, Any]) -> Timeline:
    fields = {k: v for k, v in document.items() if k not in _STORAGE_FIELDS}
    return _TIMELINE.validate_python({"order_id": document["_id"], **fields})


def _encode_cases(cases: OrderCases, retention: timedelta) -> dict[str, Any]:
    fields = _CASES.dump_python(cases, mode="python")
    return {"_id": fields.pop("order_id"), **fields, DUE_FIELD: next_due(cases, retention)}


def _decode_cases(document: dict[str, Any]) -> OrderCases:
    fields = {k: v for k, v in document.items() if k not in _STORAGE_FIELDS}
    return _CASES.validate_python({"order_id": document["_id"], **fields})


TIMELINES = "timelines"  # the collection, in the service's database or a rebuild's


class MongoTimelines:
    """Timelines emit no events, so they have no relay; the versioned write path still guards
    concurrent writers."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], locks: KeyedLock) -> None:
        self.collection = collection
        self.documents = OutboxDocuments(
            collection,
            locks,
            None,
            encode=_encode_timeline,
            decode=decode_timeline,
            coalesced=True,  # every event of an order adds to it: one write per batch
        )

    async def add(self, timeline: Timeline) -> bool:
        return await self.documents.insert(timeline, ())

    async def update(self, order_id: str, change: TimelineChange) -> Timeline | None:
        return await self.documents.update(order_id, _silent(change))

    async def upsert(self, order_id: str, change: TimelineChange, new: Timeline) -> Timeline:
        return await self.documents.upsert(order_id, _silent(change), new)

    async def get(self, order_id: str) -> Timeline | None:
        return await self.documents.get(order_id)


def _silent(change: TimelineChange) -> WiredChange[Timeline]:
    """A timeline's change on the shared write path, which takes a change's events: none."""
    return lambda timeline: (change(timeline), [])


class MongoCases:
    """An order's cases; their domain events become the outbox messages of the same write
    (``outlet``)."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        locks: KeyedLock,
        relay: OutboxRelay,
        retention: timedelta,
        outlet: Outlet[SupportEvent],
        deadlines: Stored | None = None,
    ) -> None:
        def encode(cases: OrderCases) -> dict[str, Any]:
            return _encode_cases(cases, retention)

        self.collection = collection
        self.outlet = outlet
        self.documents = OutboxDocuments(
            collection,
            locks,
            relay,
            encode=encode,
            decode=_decode_cases,
            coalesced=True,  # keyed by order id, changed by the order's events
            on_stored=deadlines,
        )

    async def add(self, cases: OrderCases, events: Sequence[SupportEvent], cause: Cause) -> bool:
        messages = self.outlet.messages(cause, events, order_correlation(cases))
        return await self.documents.insert(cases, messages)

    async def update(self, order_id: str, change: CasesChange, cause: Cause) -> OrderCases | None:
        return await self.documents.update(order_id, self._wired(change, cause))

    async def upsert(
        self, order_id: str, change: CasesChange, new: OrderCases, cause: Cause
    ) -> OrderCases:
        return await self.documents.upsert(order_id, self._wired(change, cause), new)

    def _wired(self, change: CasesChange, cause: Cause) -> WiredChange[OrderCases]:
        return self.outlet.change(cause, change, correlation_of=order_correlation)

    async def get(self, order_id: str) -> OrderCases | None:
        return await self.documents.get(order_id)

    async def with_case(self, case_id: str) -> OrderCases | None:
        document = await self.collection.find_one({"cases.case_id": case_id}, {OUTBOX_FIELD: 0})
        return _decode_cases(document) if document else None
