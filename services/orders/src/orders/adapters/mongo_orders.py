"""Orders in MongoDB: one document per order, its pending events in the same document."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxMessage, OutboxRelay
from orders.domain.order import Order, OrderLine, OrderStatus, StatusChange


def to_document(order: Order) -> dict[str, Any]:
    return {
        "_id": order.order_id,
        "market": order.market,
        "currency": order.currency,
        "lines": [
            {"sku": line.sku, "quantity": line.quantity, "unit_price_minor": line.unit_price_minor}
            for line in order.lines
        ],
        "status": order.status.value,
        "history": [
            {"status": change.status.value, "at": change.at, "event_id": str(change.event_id)}
            for change in order.history
        ],
        "placed_event_id": str(order.placed_event_id),
    }


def from_document(document: dict[str, Any]) -> Order:
    return Order(
        order_id=document["_id"],
        market=document["market"],
        currency=document["currency"],
        lines=tuple(OrderLine(**line) for line in document["lines"]),
        status=OrderStatus(document["status"]),
        history=tuple(
            StatusChange(OrderStatus(item["status"]), item["at"], UUID(item["event_id"]))
            for item in document["history"]
        ),
        placed_event_id=UUID(document["placed_event_id"]),
    )


class MongoOrders:
    """The order repository on MongoDB (or FerretDB)."""

    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], locks: KeyedLock, relay: OutboxRelay
    ) -> None:
        self.collection = collection
        self.locks = locks
        self.relay = relay

    async def add(self, order: Order, events: Sequence[OutboxMessage]) -> bool:
        """Store a new order with the events it emits; False when the id is already taken."""
        document = to_document(order) | {OUTBOX_FIELD: [event.model_dump() for event in events]}
        async with self.locks.hold(order.order_id):
            try:
                await self.collection.insert_one(document)
            except DuplicateKeyError:
                return False
        self.relay.notify(order.order_id)
        return True

    async def get(self, order_id: str) -> Order | None:
        document = await self.collection.find_one({"_id": order_id})
        return from_document(document) if document else None
