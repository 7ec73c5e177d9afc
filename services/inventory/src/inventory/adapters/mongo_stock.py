"""Stock in MongoDB (or FerretDB): one document per (warehouse, sku), with its own outbox.

Every move is one versioned single-document update (``OutboxDocuments``) that carries the rule
(enough available, the hold or receipt not applied yet, checked on the document read under the
lock) and the stock events it emits, so a second process cannot oversell and an event is written
exactly when its move is. FerretDB does not isolate concurrent updates of one document, so moves
are also serialised per document in-process with the runtime's KeyedLock (see the root README,
"Known limits"); the outbox relay of this collection takes the same lock.
"""

from collections.abc import Callable, Iterable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Outlet
from inventory.domain.events import InventoryEvent
from inventory.domain.stock import Shelf, StockLevel, StockMove, StockRecord
from inventory.ports import StockEmit


def _id(warehouse_id: str, sku: str) -> str:
    return f"{warehouse_id}|{sku}"


def _level(document: dict[str, Any]) -> StockLevel:
    return StockLevel(on_hand=document["on_hand"], reserved=document["reserved"])


def _shelf(document: dict[str, Any]) -> Shelf:
    # Documents stored before sellers have no seller_id: unknown.
    return Shelf(_level(document), document.get("seller_id"))


def to_document(record: StockRecord) -> dict[str, Any]:
    return {
        "_id": _id(record.warehouse_id, record.sku),
        "warehouse_id": record.warehouse_id,
        "sku": record.sku,
        "on_hand": record.level.on_hand,
        "reserved": record.level.reserved,
        "available": record.level.available,
        # Keys are reservation ids (no "." or "$"): safe as field names on FerretDB.
        "holds": dict(record.holds),
        "applied": list(record.applied),
        "released": list(record.released),
        "moves": record.moves,
        "seller_id": record.seller_id,
    }


def from_document(document: dict[str, Any]) -> StockRecord:
    return StockRecord(
        warehouse_id=document["warehouse_id"],
        sku=document["sku"],
        level=_level(document),
        holds=tuple(document.get("holds", {}).items()),
        applied=tuple(document.get("applied", [])),
        released=tuple(document.get("released", [])),
        moves=document.get("moves", 0),
        seller_id=document.get("seller_id"),
    )


_SHELF_FIELDS = {"warehouse_id": 1, "sku": 1, "on_hand": 1, "reserved": 1, "seller_id": 1}


class MongoStock:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        locks: KeyedLock,
        relay: OutboxRelay,
        outlet: Outlet[InventoryEvent],
    ) -> None:
        self.collection = collection
        self.outlet = outlet
        self.documents = OutboxDocuments(
            collection, locks, relay, encode=to_document, decode=from_document, order_keyed=False
        )
        self._versioned = False

    async def levels(self, sku: str) -> dict[str, StockLevel]:
        cursor = self.collection.find(
            {"sku": sku}, {"holds": 0, "applied": 0, "released": 0, OUTBOX_FIELD: 0}
        )
        return {doc["warehouse_id"]: _level(doc) async for doc in cursor}

    async def levels_in(
        self, warehouse_ids: Iterable[str], skus: Iterable[str]
    ) -> dict[tuple[str, str], StockLevel]:
        shelves = await self.shelves_in(warehouse_ids, skus)
        return {key: shelf.level for key, shelf in shelves.items()}

    async def shelves(self, sku: str) -> dict[str, Shelf]:
        cursor = self.collection.find({"sku": sku}, _SHELF_FIELDS)
        return {doc["warehouse_id"]: _shelf(doc) async for doc in cursor}

    async def shelves_in(
        self, warehouse_ids: Iterable[str], skus: Iterable[str]
    ) -> dict[tuple[str, str], Shelf]:
        # By _id, which the database finds through its index; a filter on the sku field would
        # make FerretDB decode every stock document.
        ids = [_id(wh, sku) for wh in warehouse_ids for sku in skus]
        cursor = self.collection.find({"_id": {"$in": ids}}, _SHELF_FIELDS)
        return {(doc["warehouse_id"], doc["sku"]): _shelf(doc) async for doc in cursor}

    async def of_seller(self, seller_id: str) -> dict[tuple[str, str], Shelf]:
        # An equality on a field: FerretDB scans the collection (a seller's page, not a hot path).
        cursor = self.collection.find({"seller_id": seller_id}, _SHELF_FIELDS)
        return {(doc["warehouse_id"], doc["sku"]): _shelf(doc) async for doc in cursor}

    async def _apply(
        self,
        warehouse_id: str,
        sku: str,
        move: Callable[[StockRecord], StockRecord],
        emit: StockEmit | None,
        *,
        create: bool = False,
    ) -> tuple[StockRecord, StockRecord] | None:
        if not self._versioned:
            # Documents written before stock had an outbox carry no version: give them one.
            await self.collection.update_many(
                {"version": {"$exists": False}}, {"$set": {"version": 1, OUTBOX_FIELD: []}}
            )
            self._versioned = True
        if create:
            # Already stocked is the common case; insert says so by returning False.
            await self.documents.insert(StockRecord(warehouse_id, sku), [])
        seen: list[StockRecord] = []

        def change(before: StockRecord) -> tuple[StockRecord, list[OutboxMessage]]:
            seen.append(before)
            after = move(before)
            return after, self._messages(emit, after.moved_from(before))

        after = await self.documents.update(_id(warehouse_id, sku), change)
        return None if after is None else (seen[-1], after)

    def _messages(self, emit: StockEmit | None, move: StockMove | None) -> list[OutboxMessage]:
        if emit is None or move is None:
            return []
        return self.outlet.messages(emit.cause, emit.events(move))

    async def reserve(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> bool:
        result = await self._apply(warehouse_id, sku, lambda r: r.reserve(units, key), emit)
        return result is not None and result[1].held(key) is not None

    async def release(
        self,
        warehouse_id: str,
        sku: str,
        key: str,
        emit: StockEmit | None = None,
        *,
        may_ship: bool = False,
    ) -> StockLevel | None:
        return _changed(
            await self._apply(warehouse_id, sku, lambda r: r.release(key, may_ship=may_ship), emit)
        )

    async def ship(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> StockLevel | None:
        return _changed(await self._apply(warehouse_id, sku, lambda r: r.ship(units, key), emit))

    async def receive(
        self,
        warehouse_id: str,
        sku: str,
        units: int,
        key: str,
        emit: StockEmit | None = None,
        *,
        seller_id: str | None = None,
    ) -> StockLevel | None:
        def received(record: StockRecord) -> StockRecord:
            return record.receive(units, key, seller_id)

        return _changed(await self._apply(warehouse_id, sku, received, emit, create=True))

    async def count(
        self, warehouse_id: str, sku: str, on_hand: int, key: str, emit: StockEmit | None = None
    ) -> StockLevel | None:
        return _changed(
            await self._apply(warehouse_id, sku, lambda r: r.count(on_hand, key), emit, create=True)
        )


def _changed(result: tuple[StockRecord, StockRecord] | None) -> StockLevel | None:
    if result is None or result[0].moves == result[1].moves:
        return None
    return result[1].level
