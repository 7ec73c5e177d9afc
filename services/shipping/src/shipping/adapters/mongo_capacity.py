"""Carriers' daily pickup capacity in MongoDB: one counter document per carrier and day."""

from datetime import date
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from conveyor_runtime.mongo import KeyedLock


class MongoCarrierCapacity:
    def __init__(self, collection: AsyncCollection[dict[str, Any]], locks: KeyedLock) -> None:
        self.collection = collection
        self.locks = locks

    async def claim(self, carrier_code: str, day: date, shipment_id: str, limit: int) -> bool:
        if limit <= 0:
            return False
        key = f"capacity:{carrier_code}:{day.isoformat()}"
        # Serialised per key in-process (FerretDB does not isolate updates); the conditional
        # update is what keeps several processes within the limit on MongoDB.
        async with self.locks.hold(key):
            try:
                # One operation in the common case: counted into the day's document, or the
                # document created with this shipment as its first.
                await self.collection.update_one(
                    {"_id": key, "count": {"$lt": limit}, "shipments": {"$ne": shipment_id}},
                    {"$inc": {"count": 1}, "$push": {"shipments": shipment_id}},
                    upsert=True,
                )
            except DuplicateKeyError:
                # The day's document exists and did not match: the carrier is full, unless this
                # is a retried booking that was already counted.
                counted = await self.collection.find_one({"_id": key, "shipments": shipment_id})
                return counted is not None
            return True

    async def release(self, carrier_code: str, day: date, shipment_id: str) -> None:
        key = f"capacity:{carrier_code}:{day.isoformat()}"
        async with self.locks.hold(key):
            # Matched only while the shipment is counted: a repeated release changes nothing.
            await self.collection.update_one(
                {"_id": key, "shipments": shipment_id},
                {"$inc": {"count": -1}, "$pull": {"shipments": shipment_id}},
            )
