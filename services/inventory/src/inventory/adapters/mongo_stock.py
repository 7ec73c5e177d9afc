"""Stock in MongoDB (or FerretDB): one document per (warehouse, sku).

Every move is one conditional single-document update: the filter carries the rule (enough
available, the hold or receipt not applied yet) so a second process cannot oversell. FerretDB
does not isolate concurrent updates of one document, so moves are also serialised per document
in-process with the runtime's KeyedLock (see the root README, "Known limits").
"""

import contextlib
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.mongo import KeyedLock
from inventory.domain.stock import StockLevel


def _id(warehouse_id: str, sku: str) -> str:
    return f"{warehouse_id}|{sku}"


def _level(document: dict[str, Any]) -> StockLevel:
    return StockLevel(on_hand=document["on_hand"], reserved=document["reserved"])


class MongoStock:
    def __init__(self, collection: AsyncCollection[dict[str, Any]], locks: KeyedLock) -> None:
        self.collection = collection
        self.locks = locks

    async def levels(self, sku: str) -> dict[str, StockLevel]:
        cursor = self.collection.find({"sku": sku}, {"holds": 0, "applied": 0})
        return {doc["warehouse_id"]: _level(doc) async for doc in cursor}

    async def reserve(self, warehouse_id: str, sku: str, units: int, key: str) -> bool:
        doc_id = _id(warehouse_id, sku)
        async with self.locks.hold(doc_id):
            result = await self.collection.update_one(
                {"_id": doc_id, "available": {"$gte": units}, f"holds.{key}": {"$exists": False}},
                {"$inc": {"reserved": units, "available": -units}, "$set": {f"holds.{key}": units}},
            )
            if result.modified_count == 1:
                return True
            held = await self.collection.find_one(
                {"_id": doc_id, f"holds.{key}": {"$exists": True}}
            )
            return held is not None

    async def release(self, warehouse_id: str, sku: str, key: str) -> StockLevel | None:
        return await self._drop_hold(warehouse_id, sku, key, shipped=False)

    async def commit(self, warehouse_id: str, sku: str, key: str) -> StockLevel | None:
        return await self._drop_hold(warehouse_id, sku, key, shipped=True)

    async def _drop_hold(
        self, warehouse_id: str, sku: str, key: str, *, shipped: bool
    ) -> StockLevel | None:
        doc_id = _id(warehouse_id, sku)
        async with self.locks.hold(doc_id):
            doc = await self.collection.find_one({"_id": doc_id})
            if doc is None or key not in doc.get("holds", {}):
                return None
            units = doc["holds"][key]
            # Shipped units leave the shelf and the reservation; released ones become available.
            change = {"on_hand": -units} if shipped else {"available": units}
            result = await self.collection.update_one(
                {"_id": doc_id, f"holds.{key}": units},
                {"$inc": {"reserved": -units, **change}, "$unset": {f"holds.{key}": ""}},
            )
            if result.modified_count != 1:
                raise ConcurrentUpdateError(doc_id)
            level = _level(doc)
            return level.committed(units) if shipped else level.released(units)

    async def receive(self, warehouse_id: str, sku: str, units: int, key: str) -> StockLevel | None:
        doc_id = _id(warehouse_id, sku)
        async with self.locks.hold(doc_id):
            await self._ensure(doc_id, warehouse_id, sku)
            result = await self.collection.find_one_and_update(
                {"_id": doc_id, "applied": {"$ne": key}},
                {"$inc": {"on_hand": units, "available": units}, "$push": {"applied": key}},
                return_document=True,
            )
            return _level(result) if result else None

    async def count(self, warehouse_id: str, sku: str, on_hand: int, key: str) -> StockLevel | None:
        doc_id = _id(warehouse_id, sku)
        async with self.locks.hold(doc_id):
            await self._ensure(doc_id, warehouse_id, sku)
            doc = await self.collection.find_one({"_id": doc_id})
            if doc is None or key in doc["applied"]:
                return None
            level = _level(doc).counted(on_hand)
            result = await self.collection.update_one(
                {"_id": doc_id, "reserved": level.reserved, "applied": {"$ne": key}},
                {
                    "$set": {"on_hand": level.on_hand, "available": level.available},
                    "$push": {"applied": key},
                },
            )
            if result.modified_count != 1:
                raise ConcurrentUpdateError(doc_id)
            return level

    async def _ensure(self, doc_id: str, warehouse_id: str, sku: str) -> None:
        document = {"_id": doc_id, "warehouse_id": warehouse_id, "sku": sku}
        empty = {"on_hand": 0, "reserved": 0, "available": 0, "holds": {}, "applied": []}
        # Already stocked is the common case; the duplicate key says so.
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(document | empty)
