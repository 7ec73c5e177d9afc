"""Carriers' daily pickup capacity in MongoDB: one counter document per carrier and day."""

from datetime import date
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.mongo import KeyedLock


class MongoCarrierCapacity:
    def __init__(self, collection: AsyncCollection[dict[str, Any]], locks: KeyedLock) -> None:
        self.collection = collection
        self.locks = locks

    async def claim(self, carrier_code: str, day: date, shipment_id: str, limit: int) -> bool:
        key = f"capacity:{carrier_code}:{day.isoformat()}"
        # Serialised per key in-process (FerretDB does not isolate updates); the conditional
        # update is what keeps several processes within the limit on MongoDB.
        async with self.locks.hold(key):
            await self.collection.update_one(
                {"_id": key}, {"$setOnInsert": {"count": 0, "shipments": []}}, upsert=True
            )
            if await self.collection.find_one({"_id": key, "shipments": shipment_id}):
                return True  # a retried booking: already counted
            result = await self.collection.update_one(
                {"_id": key, "count": {"$lt": limit}, "shipments": {"$ne": shipment_id}},
                {"$inc": {"count": 1}, "$push": {"shipments": shipment_id}},
            )
            return result.modified_count == 1
