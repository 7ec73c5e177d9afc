"""The inbound use cases on the in-memory stores: an announcement stored once with its event,
receipts naming it reconciled after the stock took them (announced units never count as stock),
a receipt naming no known ASN moving stock only, the timer or the warehouse's receiving done
ending what is left short."""

import logging
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from inventory_testkit import event

from conveyor_contracts.inbound import (
    INBOUND_EVENTS,
    InboundDiscrepancyFound,
    InboundShipmentAnnounced,
    InboundShipmentReconciled,
)
from conveyor_contracts.topics import INVENTORY_INBOUND
from conveyor_contracts.warehouse import GoodsReceived
from inventory.adapters.memory_inbound import MemoryInbound
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.domain.stock import StockLevel
from inventory.usecases.announce_inbound_shipment import (
    Announcement,
    InvalidAnnouncementError,
    ReferenceTakenError,
    announce_inbound_shipment,
)
from inventory.usecases.apply_receipt_on_receipt_event import apply_receipt_on_receipt_event
from inventory.usecases.close_inbound_on_timer import close_inbound_on_timer
from inventory.usecases.context import Inventory
from inventory.usecases.end_inbound_on_receiving_done import end_inbound_on_receiving_done

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # Thursday, 10:00 in New York
SELLER, WH, SKU = "sel_ACME0001", "WH-US-NJ1", "TEE-BLK-M"
ARRIVAL = date(2026, 12, 8)
# Tuesday 8th + 2 business days: the end of Thursday 10th in New York.
CLOSES = datetime(2026, 12, 11, 4, 59, 59, tzinfo=UTC)


def inventory() -> Inventory:
    return Inventory(
        stock=MemoryStock(), reservations=MemoryReservations(), inbound=MemoryInbound(),
        clock=lambda: NOW,
    )  # fmt: skip


def shipments(inv: Inventory) -> MemoryInbound:
    assert isinstance(inv.inbound, MemoryInbound)
    return inv.inbound


def told(inv: Inventory) -> list[object]:
    """Every inbound event written, parsed with the topic's contract."""
    messages = [m for outbox in shipments(inv).outboxes.values() for m in outbox]
    assert {(m.topic, m.key) for m in messages} <= {
        (INVENTORY_INBOUND.name, asn_id) for asn_id in shipments(inv).shipments
    }
    return [INBOUND_EVENTS.validate_json(m.payload) for m in messages]


def announcement(units: int = 30, reference: str = "PO-1") -> Announcement:
    return Announcement(SELLER, WH, ARRIVAL, ((SKU, units),), reference)


def receipt(asn_id: str | None, units: int, ref: str, at: datetime = NOW) -> GoodsReceived:
    return event(
        GoodsReceived, "ord_unused", sku=SKU, warehouse_id=WH, quantity=units, receipt_ref=ref,
        seller_id=SELLER, asn_id=asn_id, occurred_at=at.isoformat(),
    )  # fmt: skip


async def test_an_announcement_is_stored_and_told_once_however_often_it_is_sent() -> None:
    inv = inventory()

    first = await announce_inbound_shipment(announcement(), inv)
    retried = await announce_inbound_shipment(announcement(), inv)
    with pytest.raises(ReferenceTakenError):
        await announce_inbound_shipment(announcement(units=31), inv)

    assert (first.created, retried.created, retried.asn) == (True, False, first.asn)
    assert first.asn.closes_at == CLOSES
    [announced] = told(inv)
    assert isinstance(announced, InboundShipmentAnnounced)
    assert (announced.asn_id, announced.seller_id, announced.warehouse_id) == (
        first.asn.asn_id, SELLER, WH,
    )  # fmt: skip
    assert announced.correlation_id == first.asn.asn_id
    assert [(line.sku, line.units) for line in announced.lines] == [(SKU, 30)]
    assert await inv.stock.levels(SKU) == {}  # announced units are no stock


async def test_an_announcement_breaking_a_rule_stores_nothing() -> None:
    inv = inventory()
    other = Announcement("sel_OTHER0002", WH, ARRIVAL, ((SKU, 1),), "PO-9")
    await apply_receipt_on_receipt_event(receipt(None, 4, "GRN-OLD"), inv)  # SELLER's stock

    with pytest.raises(InvalidAnnouncementError) as refused:
        await announce_inbound_shipment(other, inv)

    assert [(p.field, p.reason) for p in refused.value.problems] == [
        ("body.lines.0.sku", f"{SKU} is another seller's")
    ]
    assert shipments(inv).shipments == {}


async def test_receipts_count_as_stock_and_against_the_asn_once_each() -> None:
    inv = inventory()
    asn_id = (await announce_inbound_shipment(announcement(), inv)).asn.asn_id
    first = receipt(asn_id, 10, "GRN-1")

    await apply_receipt_on_receipt_event(first, inv)
    await apply_receipt_on_receipt_event(first, inv)  # redelivered
    await apply_receipt_on_receipt_event(receipt(asn_id, 25, "GRN-2"), inv)

    assert await inv.stock.levels(SKU) == {WH: StockLevel(on_hand=35)}
    stored = await shipments(inv).get(asn_id)
    assert stored is not None
    assert (stored.received_of(SKU), stored.receipts) == (35, (f"{SKU}|GRN-1", f"{SKU}|GRN-2"))
    over = [e for e in told(inv) if isinstance(e, InboundDiscrepancyFound)]
    assert [(e.kind, e.sku, e.expected, e.received) for e in over] == [("over", SKU, 30, 35)]
    assert over[0].causation_id != first.event_id  # caused by the second receipt


async def test_a_receipt_naming_an_unknown_asn_moves_stock_only_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inv = inventory()
    caplog.set_level(logging.WARNING)

    await apply_receipt_on_receipt_event(receipt("asn_UNKNOWN01", 7, "GRN-1"), inv)

    assert await inv.stock.levels(SKU) == {WH: StockLevel(on_hand=7)}
    assert told(inv) == []
    assert "unknown inbound shipment" in caplog.text
    assert caplog.records[-1].__dict__["asn_id"] == "asn_UNKNOWN01"


async def test_a_receipt_after_the_end_moves_stock_but_not_the_closed_reconciliation() -> None:
    inv = inventory()
    asn_id = (await announce_inbound_shipment(announcement(), inv)).asn.asn_id
    await apply_receipt_on_receipt_event(receipt(asn_id, 10, "GRN-1"), inv)

    assert not await close_inbound_on_timer(asn_id, CLOSES - timedelta(seconds=1), inv)
    assert await close_inbound_on_timer(asn_id, CLOSES, inv)
    assert not await close_inbound_on_timer(asn_id, CLOSES, inv)  # once
    late = receipt(asn_id, 20, "GRN-2", CLOSES + timedelta(hours=1))
    await apply_receipt_on_receipt_event(late, inv)

    assert await inv.stock.levels(SKU) == {WH: StockLevel(on_hand=30)}
    events = told(inv)
    assert [type(e).__name__ for e in events] == [
        "InboundShipmentAnnounced",
        "InboundDiscrepancyFound",
        "InboundShipmentReconciled",
    ]
    short, reconciled = events[1], events[2]
    assert isinstance(short, InboundDiscrepancyFound)
    assert isinstance(reconciled, InboundShipmentReconciled)
    assert (short.kind, short.expected, short.received) == ("short", 30, 10)
    assert (short.causation_id, short.correlation_id) == (None, asn_id)
    assert reconciled.outcome == "short"
    assert [(line.expected, line.received) for line in reconciled.lines] == [(30, 10)]
    stored = await shipments(inv).get(asn_id)
    assert stored is not None
    assert (stored.status, stored.received_of(SKU), stored.due_at) == ("reconciled", 10, None)


async def test_receiving_done_ends_the_reconciliation_now_once_and_clears_its_deadline() -> None:
    deadlines: dict[Hashable, Mapping[str, Any]] = {}

    def stored(key: Hashable, fields: Mapping[str, Any], _: object) -> None:
        deadlines[key] = fields  # what a timer poller is told of each write

    inv = Inventory(
        stock=MemoryStock(), reservations=MemoryReservations(),
        inbound=MemoryInbound(deadlines=stored), clock=lambda: NOW,
    )  # fmt: skip
    asn_id = (await announce_inbound_shipment(announcement(), inv)).asn.asn_id
    await apply_receipt_on_receipt_event(receipt(asn_id, 10, "GRN-1"), inv)
    assert deadlines[asn_id] == {"due_at": CLOSES}

    ended = await end_inbound_on_receiving_done(asn_id, inv)  # days before CLOSES
    again = await end_inbound_on_receiving_done(asn_id, inv)

    assert ended is not None
    assert (ended.status, ended.outcome, ended.due_at) == ("reconciled", "short", None)
    assert again == ended
    assert deadlines[asn_id] == {"due_at": None}  # the timer has nothing left to fire
    assert not await close_inbound_on_timer(asn_id, CLOSES, inv)
    events = told(inv)
    assert [type(e).__name__ for e in events] == [
        "InboundShipmentAnnounced",
        "InboundDiscrepancyFound",
        "InboundShipmentReconciled",
    ]
    short = events[1]
    assert isinstance(short, InboundDiscrepancyFound)
    assert (short.kind, short.expected, short.received) == ("short", 30, 10)
    assert (short.causation_id, short.correlation_id) == (None, asn_id)
    assert await end_inbound_on_receiving_done("asn_UNKNOWN01", inv) is None
