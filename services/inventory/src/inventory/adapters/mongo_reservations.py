"""Reservations in MongoDB: one document per order, its pending events in the same document.

Locked by the bare order id: the outbox relay takes the same key before publishing and removing.
"""

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from inventory.domain.allocation import Allocation
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.ports import Change


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
        self.documents = OutboxDocuments(
            collection, locks, relay, encode=to_document, decode=from_document
        )

    async def add(self, reservation: Reservation, events: Sequence[OutboxMessage]) -> bool:
        return await self.documents.insert(reservation, events)

    async def update(self, order_id: str, change: Change) -> Reservation | None:
        return await self.documents.update(order_id, change)

    async def get(self, order_id: str) -> Reservation | None:
        return await self.documents.get(order_id)
