"""Orders in MongoDB: one document per order, its pending events in the same document."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxMessage, OutboxRelay
from orders.domain.order import Order, OrderLine, OrderStatus, Parcel, StatusChange
from orders.ports import Change, ConcurrentUpdateError


def to_document(order: Order) -> dict[str, Any]:
    return {
        "_id": order.order_id,
        "market": order.market,
        "currency": order.currency,
        "lines": [vars(line) for line in order.lines],
        "status": order.status.label,
        "history": [
            {"status": change.status.label, "at": change.at, "event_id": str(change.event_id)}
            for change in order.history
        ],
        "placed_event_id": str(order.placed_event_id),
        "content_hash": order.content_hash,
        "expected_parcels": order.expected_parcels,
        "parcels": [{**vars(parcel), "status": parcel.status.label} for parcel in order.parcels],
        "applied": list(order.applied),
    }


def from_document(document: dict[str, Any]) -> Order:
    def status(label: str) -> OrderStatus:
        return OrderStatus[label.upper()]

    return Order(
        order_id=document["_id"],
        market=document["market"],
        currency=document["currency"],
        lines=tuple(OrderLine(**line) for line in document["lines"]),
        status=status(document["status"]),
        history=tuple(
            StatusChange(status(item["status"]), item["at"], UUID(item["event_id"]))
            for item in document["history"]
        ),
        placed_event_id=UUID(document["placed_event_id"]),
        content_hash=document["content_hash"],
        expected_parcels=document["expected_parcels"],
        parcels=tuple(
            Parcel(**{**parcel, "status": status(parcel["status"])})
            for parcel in document["parcels"]
        ),
        applied=tuple(document["applied"]),
    )


class MongoOrders:
    """The order repository on MongoDB (or FerretDB).

    Every write is one single-document update that also appends the events it emits to the
    document's outbox; a version field turns a concurrent writer in another process into a retry.
    """

    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], locks: KeyedLock, relay: OutboxRelay
    ) -> None:
        self.collection = collection
        self.locks = locks
        self.relay = relay

    async def add(self, order: Order, events: Sequence[OutboxMessage]) -> bool:
        document = to_document(order) | {
            "version": 1,
            OUTBOX_FIELD: [event.model_dump() for event in events],
        }
        async with self.locks.hold(order.order_id):
            try:
                await self.collection.insert_one(document)
            except DuplicateKeyError:
                return False
        self.relay.notify(order.order_id)
        return True

    async def update(self, order_id: str, change: Change) -> Order | None:
        async with self.locks.hold(order_id):
            document = await self.collection.find_one({"_id": order_id}, {OUTBOX_FIELD: 0})
            if document is None:
                return None
            order = from_document(document)
            changed, events = change(order)
            if changed == order and not events:
                return order
            fields = to_document(changed)
            del fields["_id"]
            result = await self.collection.update_one(
                {"_id": order_id, "version": document["version"]},
                {
                    "$set": fields | {"version": document["version"] + 1},
                    "$push": {OUTBOX_FIELD: {"$each": [event.model_dump() for event in events]}},
                },
            )
            if result.matched_count != 1:
                raise ConcurrentUpdateError(order_id)
        if events:
            self.relay.notify(order_id)
        return changed

    async def get(self, order_id: str) -> Order | None:
        document = await self.collection.find_one({"_id": order_id})
        return from_document(document) if document else None
