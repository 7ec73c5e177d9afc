"""Reservations in MongoDB: one document per order, its pending events in the same document.

Locked by the bare order id: the outbox relay takes the same key before publishing and removing.
"""

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxMessage, OutboxRelay
from inventory.domain.allocation import Allocation
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.ports import Change, ConcurrentUpdateError


def to_document(reservation: Reservation) -> dict[str, Any]:
    return {
        "_id": reservation.order_id,
        "reservation_id": reservation.reservation_id,
        "status": reservation.status.value,
        "allocations": [
            # Lines as objects: FerretDB refuses nested arrays.
            {
                "warehouse_id": a.warehouse_id,
                "lines": [{"sku": sku, "units": units} for sku, units in a.lines],
            }
            for a in reservation.allocations
        ],
        "committed": list(reservation.committed),
    }


def from_document(document: dict[str, Any]) -> Reservation:
    return Reservation(
        order_id=document["_id"],
        reservation_id=document["reservation_id"],
        status=ReservationStatus(document["status"]),
        allocations=tuple(
            Allocation(
                a["warehouse_id"], tuple((line["sku"], line["units"]) for line in a["lines"])
            )
            for a in document["allocations"]
        ),
        committed=tuple(document["committed"]),
    )


class MongoReservations:
    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], locks: KeyedLock, relay: OutboxRelay
    ) -> None:
        self.collection = collection
        self.locks = locks
        self.relay = relay

    async def add(self, reservation: Reservation, events: Sequence[OutboxMessage]) -> bool:
        document = to_document(reservation) | {
            "version": 1,
            OUTBOX_FIELD: [event.model_dump() for event in events],
        }
        async with self.locks.hold(reservation.order_id):
            try:
                await self.collection.insert_one(document)
            except DuplicateKeyError:
                return False
        if events:
            self.relay.notify(reservation.order_id)
        return True

    async def update(self, order_id: str, change: Change) -> Reservation | None:
        async with self.locks.hold(order_id):
            document = await self.collection.find_one({"_id": order_id}, {OUTBOX_FIELD: 0})
            if document is None:
                return None
            reservation = from_document(document)
            changed, events = change(reservation)
            if changed == reservation and not events:
                return reservation
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

    async def get(self, order_id: str) -> Reservation | None:
        document = await self.collection.find_one({"_id": order_id}, {OUTBOX_FIELD: 0})
        return from_document(document) if document else None
