"""Stock is a seller's: the first receipt naming a seller records it, later receipts keep it, a
receipt naming another seller is refused without a change, and every level says whose it is."""

import pytest
from inventory_testkit import TOPICS, event

from conveyor_contracts.stock import STOCK_EVENTS, StockLevelChanged
from conveyor_contracts.warehouse import GoodsReceived, StockCounted
from conveyor_runtime.failures import PermanentError, is_permanent
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.adapters.mongo_stock import from_document, to_document
from inventory.domain.events import LevelChanged, stock_changes
from inventory.domain.stock import SellerConflictError, Shelf, StockLevel, StockRecord
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.usecases.apply_receipt_on_receipt_event import apply_receipt_on_receipt_event
from inventory.usecases.context import Inventory, Policy

SKU, WH = "TEE-BLK-M", "WH-US-NJ1"
ACME, OTHER = "sel_ACME0001", "sel_OTHER0002"


def test_the_first_receipt_naming_a_seller_records_it_and_a_receipt_without_one_keeps_it() -> None:
    unknown = StockRecord(WH, SKU).receive(3, "GRN-1")
    assert unknown.seller_id is None
    first = unknown.receive(4, "GRN-2", ACME)
    kept = first.receive(5, "GRN-3")
    again = kept.receive(1, "GRN-4", ACME)
    assert (first.seller_id, kept.seller_id, again.seller_id) == (ACME, ACME, ACME)
    assert again.level == StockLevel(on_hand=3 + 4 + 5 + 1, reserved=0)
    # Other moves keep the seller too.
    moved = again.reserve(2, "rsv_1").count(20, "CNT-1").release("rsv_1")
    assert moved.seller_id == ACME


def test_a_receipt_naming_another_seller_is_refused_and_a_redelivered_applied_one_is_not() -> None:
    record = StockRecord(WH, SKU).receive(4, "GRN-1", ACME)
    with pytest.raises(SellerConflictError, match=f"belongs to {ACME}, not to {OTHER}"):
        record.receive(6, "GRN-2", OTHER)
    # A receipt already applied is a no-op whatever it says: its redelivery changes nothing.
    assert record.receive(4, "GRN-1", OTHER) is record


def test_every_level_changed_carries_the_seller_of_its_stock() -> None:
    before = StockRecord(WH, SKU)
    after = before.receive(8, "GRN-1", ACME)
    move = after.moved_from(before)
    assert move is not None
    assert move.seller_id == ACME
    changed = stock_changes(move, "goods_received", low_stock_threshold=5)[0]
    assert changed == LevelChanged(WH, SKU, 1, 8, 0, 8, "goods_received", ACME)


def test_the_stock_document_stores_the_seller_and_older_documents_load_without_one() -> None:
    record = StockRecord(WH, SKU).receive(4, "GRN-1", ACME)
    assert from_document(to_document(record)) == record
    older = to_document(StockRecord(WH, SKU).receive(4, "GRN-1"))
    del older["seller_id"]
    assert from_document(older).seller_id is None


def world() -> Inventory:
    policy = Policy(DEFAULT_WAREHOUSES, unfillable="shortage", low_stock_threshold=5)
    return Inventory(MemoryStock(), MemoryReservations(), policy)


def received(units: int, ref: str, seller_id: str | None) -> GoodsReceived:
    return event(
        GoodsReceived,
        SKU,
        sku=SKU,
        warehouse_id=WH,
        quantity=units,
        receipt_ref=ref,
        seller_id=seller_id,
    )


def levels(inventory: Inventory) -> list[StockLevelChanged]:
    assert isinstance(inventory.stock, MemoryStock)
    assert all(m.topic == TOPICS.stock for m in inventory.stock.outbox)
    parsed = [STOCK_EVENTS.validate_json(m.payload) for m in inventory.stock.outbox]
    return [e for e in parsed if isinstance(e, StockLevelChanged)]


async def test_receipts_record_the_seller_and_every_level_published_names_it() -> None:
    inventory = world()
    await apply_receipt_on_receipt_event(received(4, "GRN-A", None), inventory)
    await apply_receipt_on_receipt_event(received(6, "GRN-B", ACME), inventory)
    await apply_receipt_on_receipt_event(received(2, "GRN-C", None), inventory)
    counted = event(StockCounted, SKU, sku=SKU, warehouse_id=WH, counted=9, count_ref="CNT-0001")
    await apply_receipt_on_receipt_event(counted, inventory)
    published = levels(inventory)
    assert [(e.on_hand, e.seller_id) for e in published] == [
        (4, None),
        (10, ACME),
        (12, ACME),
        (9, ACME),
    ]
    assert await inventory.stock.shelves(SKU) == {WH: Shelf(StockLevel(9, 0), ACME)}


async def test_a_receipt_of_another_seller_is_a_permanent_error_and_moves_nothing() -> None:
    inventory = world()
    await apply_receipt_on_receipt_event(received(4, "GRN-A", ACME), inventory)
    with pytest.raises(PermanentError) as refused:
        await apply_receipt_on_receipt_event(received(6, "GRN-B", OTHER), inventory)
    assert is_permanent(refused.value)
    assert "GRN-B" in str(refused.value)
    assert OTHER in str(refused.value)
    assert await inventory.stock.shelves(SKU) == {WH: Shelf(StockLevel(4, 0), ACME)}
    assert [e.on_hand for e in levels(inventory)] == [4]  # no level for the refused receipt
    # The stock stays open to its own seller.
    await apply_receipt_on_receipt_event(received(1, "GRN-C", ACME), inventory)
    assert (await inventory.stock.levels(SKU))[WH] == StockLevel(5, 0)
