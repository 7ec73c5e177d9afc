"""Sellers' inbound shipments in MongoDB (or FerretDB): one document per ASN, its outbox inside.

Locked by the ASN id, which the outbox relay takes too. ``due_at`` is the end of the
reconciliation's grace while it is open and None once it ended: the inbound timer's contract.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments, Stored
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OUTBOX_FIELD, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from conveyor_runtime.timers import DUE_FIELD
from inventory.domain.events import InboundEvent, InventoryEvent, Lines
from inventory.domain.inbound import Asn, Discrepancy
from inventory.ports import AsnChange


def to_document(asn: Asn) -> dict[str, Any]:
    return {
        "_id": asn.asn_id,
        "seller_id": asn.seller_id,
        "warehouse_id": asn.warehouse_id,
        "market": asn.market,
        # A date is no BSON type: stored as its ISO day.
        "expected_arrival": asn.expected_arrival.isoformat(),
        "lines": _lines(asn.lines),
        "reference": asn.reference,
        "closes_at": asn.closes_at,
        "announced_at": asn.announced_at,
        "received": _lines(asn.received),
        "receipts": list(asn.receipts),
        "discrepancies": [
            {"kind": d.kind, "sku": d.sku, "expected": d.expected, "received": d.received}
            for d in asn.discrepancies
        ],
        "status": asn.status,
        "outcome": asn.outcome,
        DUE_FIELD: asn.due_at,  # set to None, never removed, once nothing is due
    }


def from_document(document: dict[str, Any]) -> Asn:
    return Asn(
        asn_id=document["_id"],
        seller_id=document["seller_id"],
        warehouse_id=document["warehouse_id"],
        market=document["market"],
        expected_arrival=date.fromisoformat(document["expected_arrival"]),
        lines=_from_lines(document["lines"]),
        reference=document["reference"],
        closes_at=_utc(document["closes_at"]),
        announced_at=_utc(document["announced_at"]),
        received=_from_lines(document.get("received", [])),
        receipts=tuple(document.get("receipts", [])),
        discrepancies=tuple(
            Discrepancy(d["kind"], d.get("sku"), d.get("expected"), d.get("received"))
            for d in document.get("discrepancies", [])
        ),
        outcome=document.get("outcome"),
    )


def _lines(lines: Lines) -> list[dict[str, Any]]:
    return [{"sku": sku, "units": units} for sku, units in lines]  # objects: no nested arrays


def _from_lines(lines: list[dict[str, Any]]) -> Lines:
    return tuple((line["sku"], line["units"]) for line in lines)


def _utc(value: datetime) -> datetime:
    # A client built without tz_aware returns naive UTC datetimes.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def correlation_of(asn: Asn) -> str:
    return asn.correlation_id


class MongoInbound:
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
            order_keyed=False,  # an ASN belongs to no order
            on_stored=deadlines,
        )

    async def add(self, asn: Asn, events: Sequence[InboundEvent], cause: Cause) -> bool:
        messages = self.outlet.messages(cause, events, asn.correlation_id)
        return await self.documents.insert(asn, messages)

    async def update(self, asn_id: str, change: AsnChange, cause: Cause) -> Asn | None:
        wired = self.outlet.change(cause, change, correlation_of=correlation_of)
        return await self.documents.update(asn_id, wired)

    async def get(self, asn_id: str) -> Asn | None:
        return await self.documents.get(asn_id)

    async def of_seller(self, seller_id: str) -> list[Asn]:
        # An equality on a field (a scan on FerretDB): a seller's page, not a hot path.
        cursor = self.collection.find({"seller_id": seller_id}, {OUTBOX_FIELD: 0})
        found = [from_document(document) async for document in cursor]
        return sorted(found, key=lambda asn: (asn.announced_at, asn.asn_id))
