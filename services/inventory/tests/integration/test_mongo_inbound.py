"""The inbound shipments' Mongo store on FerretDB: an ASN per document, its events in its own
outbox, its deadline in ``due_at`` (found by the timer's sweep) until the reconciliation ends;
an ASN id taken once; documents missing the fields later changes add load with their defaults."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from mongo_stores import mongo_inbound
from pymongo import AsyncMongoClient

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.inbound import INBOUND_EVENTS
from conveyor_runtime.outbox import OUTBOX_FIELD
from conveyor_runtime.outlet import Cause
from conveyor_runtime.timers import TimerPoller
from conveyor_testkit import Servers
from inventory.domain.inbound import Asn, announce, close, receive
from inventory.domain.warehouses import Warehouse

SELLER, SKU = "sel_ACME0001", "TEE-BLK-M"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 11, 4, 59, 59, tzinfo=UTC)


async def _never_fired(*_: object) -> None:
    raise AssertionError("nothing fires here")


def _asn(asn_id: str) -> tuple[Asn, Cause]:
    asn, _ = announce(
        asn_id, SELLER, Warehouse("WH-US-NJ1", "US", 1), date(2026, 12, 8), ((SKU, 30),), "PO-1",
        now=NOW, closes_at=CLOSES,
    )  # fmt: skip
    return asn, Cause(None, NOW, asn_id)


async def test_an_asn_is_stored_reconciled_and_closed_with_its_events_and_deadline(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        store = mongo_inbound(mongo, namespace)
        asn, cause = _asn("asn_MONGO0001")
        _, announced = announce(
            asn.asn_id, SELLER, Warehouse("WH-US-NJ1", "US", 1), asn.expected_arrival, asn.lines,
            "PO-1", now=NOW, closes_at=CLOSES,
        )  # fmt: skip
        assert await store.add(asn, announced, cause)
        assert not await store.add(asn, announced, cause)  # the id is taken
        receipt = Cause(None, NOW, None)
        calendar = BusinessCalendar()

        def got(current: Asn) -> tuple[Asn, list[Any]]:
            after, events = receive(current, SKU, 40, "GRN-1", NOW, calendar)
            return after, events

        await store.update(asn.asn_id, got, receipt)
        fresh = mongo_inbound(mongo, namespace)  # reads the database, not this process's copy
        open_asn = await fresh.get(asn.asn_id)
        poller = TimerPoller(fresh.collection, _never_fired)
        pending = await poller.sweep()
        await fresh.update(asn.asn_id, lambda current: close(current, CLOSES), receipt)
        closed = await mongo_inbound(mongo, namespace).get(asn.asn_id)
        listed = await fresh.of_seller(SELLER)
        stored = await fresh.collection.find_one({"_id": asn.asn_id})
    finally:
        await mongo.close()
    assert open_asn is not None
    assert (open_asn.received_of(SKU), open_asn.status, open_asn.due_at) == (40, "open", CLOSES)
    assert open_asn.closes_at == CLOSES
    assert pending >= 1
    due = poller.due(asn.asn_id)  # as stored: this client is not tz-aware
    assert due is not None
    assert due.replace(tzinfo=UTC) == CLOSES
    assert closed is not None
    assert (closed.outcome, closed.due_at) == ("over", None)
    assert [a.asn_id for a in listed] == [asn.asn_id]
    assert stored is not None
    assert (stored["status"], stored["due_at"], stored["expected_arrival"]) == (
        "reconciled", None, "2026-12-08",
    )  # fmt: skip
    events = [INBOUND_EVENTS.validate_json(entry["payload"]) for entry in stored[OUTBOX_FIELD]]
    assert [e.event_type for e in events] == [
        "InboundShipmentAnnounced",
        "InboundDiscrepancyFound",
        "InboundShipmentReconciled",
    ]
    assert {e.correlation_id for e in events} == {asn.asn_id}


async def test_a_document_without_the_reconciliation_fields_loads_with_their_defaults(
    servers: Servers, namespace: str
) -> None:
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        store = mongo_inbound(mongo, namespace)
        await store.collection.insert_one(
            {
                "_id": "asn_OLDDOC0001",
                "seller_id": SELLER,
                "warehouse_id": "WH-US-NJ1",
                "market": "US",
                "expected_arrival": "2026-12-08",
                "lines": [{"sku": SKU, "units": 30}],
                "reference": "PO-OLD",
                "closes_at": CLOSES,
                "announced_at": NOW - timedelta(days=1),
                "due_at": CLOSES,
                "version": 1,
                OUTBOX_FIELD: [],
            }
        )
        loaded = await store.get("asn_OLDDOC0001")
    finally:
        await mongo.close()
    assert loaded is not None
    assert (loaded.received, loaded.receipts, loaded.discrepancies, loaded.outcome) == (
        (), (), (), None,
    )  # fmt: skip
    assert loaded.lines == ((SKU, 30),)
