"""Orders in MongoDB: one document per order, its pending events in the same document."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from orders.domain.events import OrderEvent
from orders.domain.order import Delay, Order, OrderLine, OrderStatus, Parcel, StatusChange
from orders.domain.promise import Window
from orders.ports import Change


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
        "reservation_id": order.reservation_id,
        "reshipped_parcels": order.reshipped_parcels,
        "parcels": [{**vars(parcel), "status": parcel.status.label} for parcel in order.parcels],
        "applied": list(order.applied),
        "trace_id": order.trace_id,
        "status_since": order.status_since,  # what the stuck-orders query compares
        "dispatch_by": order.dispatch_by,
        # Days as ISO strings: BSON has no date without a time.
        "promised_delivery": _days(order.promised_delivery),
        "delay": _days(order.delay),
        "delivered_at": order.delivered_at,
        "closed_reason": order.closed_reason,
        "carrier_fault": order.carrier_fault,
        "accepted_at": order.accepted_at,  # what the seller queries compare (not read back)
    }


def _days(value: Window | Delay | None) -> dict[str, str] | None:
    return None if value is None else {k: day.isoformat() for k, day in vars(value).items()}


def _window(stored: dict[str, str] | None) -> Window | None:
    if stored is None:
        return None
    return Window(date.fromisoformat(stored["earliest"]), date.fromisoformat(stored["latest"]))


def _delay(stored: dict[str, str] | None) -> Delay | None:
    if stored is None:
        return None
    return Delay(
        date.fromisoformat(stored["forecast_delivery"]),
        date.fromisoformat(stored["promised_latest"]),
    )


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
        # Stored since reshipments stopped dropping lost parcels; absent on older orders.
        reservation_id=document.get("reservation_id"),
        reshipped_parcels=document.get("reshipped_parcels", 0),
        parcels=tuple(
            Parcel(**{**parcel, "status": status(parcel["status"])})
            for parcel in document["parcels"]
        ),
        applied=tuple(document["applied"]),
        trace_id=document.get("trace_id"),
        # Stored since promises; absent on older orders (and their lines have no seller).
        dispatch_by=document.get("dispatch_by"),
        promised_delivery=_window(document.get("promised_delivery")),
        delay=_delay(document.get("delay")),
        # Stored since seller scorecards; absent on older orders (and on their parcels).
        delivered_at=document.get("delivered_at"),
        closed_reason=document.get("closed_reason"),
        carrier_fault=document.get("carrier_fault"),
    )


class MongoOrders:
    """The order repository on MongoDB (or FerretDB): one document per order, with its outbox."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        locks: KeyedLock,
        relay: OutboxRelay,
        outlet: Outlet[OrderEvent],
    ) -> None:
        self.collection = collection
        self.outlet = outlet
        self.documents = OutboxDocuments(
            collection,
            locks,
            relay,
            encode=to_document,
            decode=from_document,
            coalesced=True,  # an order's events change it: several in one batch, one write
        )

    async def add(self, order: Order, events: Sequence[OrderEvent], cause: Cause) -> bool:
        return await self.documents.insert(order, self.outlet.messages(cause, events))

    async def update(self, order_id: str, change: Change, cause: Cause) -> Order | None:
        return await self.documents.update(order_id, self.outlet.change(cause, change))

    async def get(self, order_id: str) -> Order | None:
        return await self.documents.get(order_id)

    async def count_by_status(self) -> dict[OrderStatus, int]:
        rows = await self.collection.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])
        return {OrderStatus[row["_id"].upper()]: row["n"] async for row in rows}

    async def in_status_since_before(
        self, deadlines: Mapping[OrderStatus, datetime], limit: int | None = None
    ) -> list[Order]:
        if not deadlines:
            return []
        wanted = [
            {"status": status.label, "status_since": {"$lt": deadline}}
            for status, deadline in deadlines.items()
        ]
        cursor = self.collection.find({"$or": wanted}, {OUTBOX_FIELD: 0}).sort("status_since", 1)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [from_document(document) async for document in cursor]

    async def of_seller_accepted_between(
        self, seller_id: str, since: datetime, until: datetime
    ) -> list[Order]:
        query = {"lines.seller_id": seller_id, "accepted_at": {"$gte": since, "$lte": until}}
        cursor = self.collection.find(query, {OUTBOX_FIELD: 0})
        return [from_document(document) async for document in cursor]

    async def of_seller_awaiting_pickup(
        self, seller_id: str, due_by: datetime, limit: int | None = None
    ) -> list[Order]:
        query = {
            "lines.seller_id": seller_id,
            "status": {"$in": [status.label for status in OrderStatus if status.before_pickup]},
            "dispatch_by": {"$lte": due_by},  # no dispatch-by (null) never compares
        }
        cursor = self.collection.find(query, {OUTBOX_FIELD: 0}).sort("dispatch_by", 1)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [from_document(document) async for document in cursor]
