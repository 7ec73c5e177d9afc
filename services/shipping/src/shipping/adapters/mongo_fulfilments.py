"""Fulfilments in MongoDB (or FerretDB): one document per order, its pending messages and its
next deadline (a parcel's, or its personal data's end) in the same document."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments, Stored
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from conveyor_runtime.timers import DUE_FIELD
from shipping.domain.events import ShippingEvent
from shipping.domain.privacy import next_deadline
from shipping.domain.shipment import Fulfilment
from shipping.ports import Change

_FULFILMENT = TypeAdapter(Fulfilment)


class MongoFulfilments:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        locks: KeyedLock,
        relay: OutboxRelay,
        silence: timedelta,
        retention: timedelta,
        outlet: Outlet[ShippingEvent],
        deadlines: Stored | None = None,
    ) -> None:
        def encode(fulfilment: Fulfilment) -> dict[str, Any]:
            return to_document(fulfilment, silence, retention)

        self.collection = collection
        self.outlet = outlet
        self.documents = OutboxDocuments(
            collection,
            locks,
            relay,
            encode=encode,
            decode=from_document,
            coalesced=True,  # keyed by order id, changed by the order's events
            on_stored=deadlines,
        )

    async def add(
        self, fulfilment: Fulfilment, events: Sequence[ShippingEvent], cause: Cause
    ) -> bool:
        messages = self.outlet.messages(cause, events, fulfilment.correlation_id)
        return await self.documents.insert(fulfilment, messages)

    async def update(self, order_id: str, change: Change, cause: Cause) -> Fulfilment | None:
        return await self.documents.update(
            order_id, self.outlet.change(cause, change, _correlation)
        )

    async def upsert(
        self, order_id: str, change: Change, new: Fulfilment, cause: Cause
    ) -> Fulfilment:
        wired = self.outlet.change(cause, change, _correlation)
        return await self.documents.upsert(order_id, wired, new)

    async def get(self, order_id: str) -> Fulfilment | None:
        return await self.documents.get(order_id)

    async def with_shipment(self, shipment_id: str) -> Fulfilment | None:
        document = await self.collection.find_one(
            {"shipments.shipment_id": shipment_id}, {OUTBOX_FIELD: 0}
        )
        return from_document(document) if document else None

    async def active_since(self, since: datetime) -> list[Fulfilment]:
        instants = ("bookings.asked_at", "bookings.declined_at", "scans.scanned_at")
        query = {"$or": [{f"shipments.{path}": {"$gte": since}} for path in instants]}
        # The order's details (its address and prices) are not needed to count carriers.
        found = self.collection.find(query, {OUTBOX_FIELD: 0, "details": 0, "applied": 0})
        return [from_document(document) async for document in found]


def _correlation(fulfilment: Fulfilment) -> str:
    return fulfilment.correlation_id  # the order's, whatever caused the change


def to_document(fulfilment: Fulfilment, silence: timedelta, retention: timedelta) -> dict[str, Any]:
    fields = _dates_as_text(_FULFILMENT.dump_python(fulfilment, mode="python"))
    due = next_deadline(fulfilment, silence, retention)
    return {"_id": fields.pop("order_id"), **fields, DUE_FIELD: due}


def from_document(document: dict[str, Any]) -> Fulfilment:
    fields = {k: v for k, v in document.items() if k not in ("_id", "version", DUE_FIELD)}
    return _FULFILMENT.validate_python({"order_id": document["_id"], **fields})


def _dates_as_text(value: Any) -> Any:
    """``value`` with its calendar days (a promise, a forecast) as ISO text: BSON has instants
    only, and a day is no instant. Reading parses them back."""
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_dates_as_text(item) for item in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return value
