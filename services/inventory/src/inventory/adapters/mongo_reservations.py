"""Reservations in MongoDB: one document per order, its pending events in the same document.

Locked by the bare order id: the outbox relay takes the same key before publishing and removing.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments, Stored
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from conveyor_runtime.timers import DUE_FIELD
from inventory.domain.allocation import Allocation, Sellers
from inventory.domain.events import InventoryEvent, Lines, ReservationEvent
from inventory.domain.reservation import (
    Backorder,
    Reservation,
    ReservationStatus,
    correlation_of,
)
from inventory.ports import Change


def to_document(reservation: Reservation) -> dict[str, Any]:
    return {
        "_id": reservation.key,
        "order_id": reservation.order_id,
        "reservation_id": reservation.reservation_id,
        "status": reservation.status.value,
        "allocations": [
            # Lines as objects: FerretDB refuses nested arrays.
            {"warehouse_id": a.warehouse_id, "lines": _lines_document(a.lines, a.sellers)}
            for a in reservation.allocations
        ],
        "committed": list(reservation.committed),
        "backorder": _backorder_document(reservation.backorder),
        "claim": reservation.claim,
        "market": reservation.market,
        "case_id": reservation.case_id,
        "returned": list(reservation.returned),
        # Set to None, never removed, when nothing is due: the timer poller's contract.
        DUE_FIELD: reservation.due_at,
        # Equality-indexable, and emptied once the order no longer waits, so receipts find
        # only the backorders they may fill.
        "waiting_skus": list(reservation.waiting_skus),
    }


def _lines_document(lines: Lines, sellers: Sellers) -> list[dict[str, Any]]:
    # A line's seller rides on it, when known; lines stored before sellers have none.
    seller_of = dict(sellers)
    return [
        {"sku": sku, "units": units} | ({"seller_id": seller_of[sku]} if sku in seller_of else {})
        for sku, units in lines
    ]


def _sellers(lines: list[dict[str, Any]]) -> Sellers:
    return tuple((line["sku"], line["seller_id"]) for line in lines if line.get("seller_id"))


def _backorder_document(backorder: Backorder | None) -> dict[str, Any] | None:
    if backorder is None:
        return None
    return {
        "lines": _lines_document(backorder.lines, backorder.sellers),
        "market": backorder.market,
        "since": backorder.since,
        "deadline": backorder.deadline,
        "cause": backorder.cause,
        "correlation_id": backorder.correlation_id,
        "short_lines": [
            {"sku": sku, "requested": requested, "available": available}
            for sku, requested, available in backorder.short_lines
        ],
    }


def _backorder(document: dict[str, Any] | None) -> Backorder | None:
    if document is None:
        return None
    return Backorder(
        lines=tuple((line["sku"], line["units"]) for line in document["lines"]),
        market=document["market"],
        since=_utc(document["since"]),
        deadline=_utc(document["deadline"]),
        cause=document["cause"],
        correlation_id=document["correlation_id"],
        short_lines=tuple(
            (line["sku"], line["requested"], line["available"]) for line in document["short_lines"]
        ),
        sellers=_sellers(document["lines"]),
    )


def _utc(value: datetime) -> datetime:
    # A client built without tz_aware returns naive UTC datetimes.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def from_document(document: dict[str, Any]) -> Reservation:
    return Reservation(
        # Documents stored before reshipments had no order_id field: their key is the order id.
        order_id=document.get("order_id", document["_id"]),
        reservation_id=document["reservation_id"],
        status=ReservationStatus(document["status"]),
        allocations=tuple(
            Allocation(
                a["warehouse_id"],
                tuple((line["sku"], line["units"]) for line in a["lines"]),
                _sellers(a["lines"]),
            )
            for a in document["allocations"]
        ),
        committed=tuple(document["committed"]),
        backorder=_backorder(document.get("backorder")),
        claim=document.get("claim"),
        market=document.get("market"),
        case_id=document.get("case_id"),
        returned=tuple(document.get("returned", [])),
    )


class MongoReservations:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        locks: KeyedLock,
        relay: OutboxRelay,
        outlet: Outlet[InventoryEvent],
        deadlines: Stored | None = None,
    ) -> None:
        self.collection = collection
        self.outlet = outlet
        self.documents = OutboxDocuments(
            collection,
            locks,
            relay,
            encode=to_document,
            decode=from_document,
            # Not coalesced: a reservation's plan must be stored before its stock is taken,
            # so that a crash in between leaves the trail that gives the stock back.
            on_stored=deadlines,
        )

    async def add(
        self, reservation: Reservation, events: Sequence[ReservationEvent], cause: Cause
    ) -> bool:
        messages = self.outlet.messages(cause, events, correlation_of(reservation))
        return await self.documents.insert(reservation, messages)

    async def update(self, key: str, change: Change, cause: Cause) -> Reservation | None:
        wired = self.outlet.change(cause, change, correlation_of=correlation_of)
        return await self.documents.update(key, wired)

    async def get(self, key: str) -> Reservation | None:
        return await self.documents.get(key)

    async def waiting_for(self, sku: str) -> list[Reservation]:
        # Equality on an array element only; ordered here (FerretDB pushes no range or sort down).
        cursor = self.collection.find({"waiting_skus": sku}, {OUTBOX_FIELD: 0})
        waiting = [from_document(document) async for document in cursor]
        return sorted(waiting, key=_age)


def _age(reservation: Reservation) -> tuple[datetime, str]:
    assert reservation.backorder is not None  # waiting_skus is only set on backorders
    return reservation.backorder.since, reservation.order_id
