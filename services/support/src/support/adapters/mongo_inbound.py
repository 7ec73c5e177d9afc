"""Sellers' inbound cases in MongoDB (or FerretDB): one document per ASN's case, emitting no
events (the discrepancies they hold are inventory's), on the same versioned write path as the
orders' cases, with its first-response deadline (``due_at``, for the timer poller; ``None`` once
nothing is due)."""

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments, Stored
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD
from conveyor_runtime.outlet import WiredChange
from conveyor_runtime.timers import DUE_FIELD
from support.domain.inbound_cases import InboundCase
from support.ports import InboundCaseChange

INBOUND_CASES = "inbound_cases"  # the collection, in the service's database

_CASE = TypeAdapter(InboundCase)
_STORAGE_FIELDS = ("_id", "version", DUE_FIELD, OUTBOX_FIELD)


def _encode(case: InboundCase) -> dict[str, Any]:
    fields = _CASE.dump_python(case, mode="python")
    return {"_id": fields.pop("case_id"), **fields, DUE_FIELD: case.due_at}


def _decode(document: dict[str, Any]) -> InboundCase:
    fields = {k: v for k, v in document.items() if k not in _STORAGE_FIELDS}
    return _CASE.validate_python({"case_id": document["_id"], **fields})


class MongoInboundCases:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        locks: KeyedLock,
        deadlines: Stored | None = None,
    ) -> None:
        self.collection = collection
        self.documents = OutboxDocuments(
            collection,
            locks,
            None,
            encode=_encode,
            decode=_decode,
            order_keyed=False,  # no order's trace to remember: a seller's shipment is no order
            on_stored=deadlines,
        )

    async def update(self, case_id: str, change: InboundCaseChange) -> InboundCase | None:
        return await self.documents.update(case_id, _silent(change))

    async def upsert(
        self, case_id: str, change: InboundCaseChange, new: InboundCase
    ) -> InboundCase:
        return await self.documents.upsert(case_id, _silent(change), new)

    async def get(self, case_id: str) -> InboundCase | None:
        return await self.documents.get(case_id)

    async def listed(self, seller_id: str | None, *, limit: int) -> Sequence[InboundCase]:
        query = {} if seller_id is None else {"seller_id": seller_id}
        found = self.collection.find(query, {OUTBOX_FIELD: 0}).sort("opened_at", -1).limit(limit)
        return [_decode(document) async for document in found]


def _silent(change: InboundCaseChange) -> WiredChange[InboundCase]:
    """A case's change on the shared write path, which takes a change's events: none."""
    return lambda case: (change(case), [])
