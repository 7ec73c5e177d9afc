"""Stock events: every level change publishes the absolute level and its cause; a low-stock alert
only when available falls to or below the threshold from above; a redelivered move emits nothing."""

from datetime import UTC, datetime

from inventory_testkit import TOPICS, event

from conveyor_contracts.orders import OrderAccepted, OrderCancelled
from conveyor_contracts.stock import STOCK_EVENTS, LowStockDetected, StockLevelChanged
from conveyor_contracts.warehouse import GoodsReceived, StockCounted
from conveyor_runtime.outbox import OutboxMessage
from conveyor_runtime.outlet import Cause
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.adapters.wire import inventory_outlet
from inventory.domain.stock import StockLevel, StockMove
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.ports import StockEmit
from inventory.usecases.apply_receipt_on_receipt_event import apply_receipt_on_receipt_event
from inventory.usecases.context import Inventory, Policy
from inventory.usecases.release_stock_on_order_cancelled import release_stock_on_order_cancelled
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted

SKU, WH = "TEE-BLK-M", "WH-US-NJ1"
NOW = datetime(2026, 3, 14, tzinfo=UTC)


def world() -> Inventory:
    policy = Policy(DEFAULT_WAREHOUSES, unfillable="shortage", low_stock_threshold=5)
    return Inventory(MemoryStock(), MemoryReservations(), policy)


def published(inventory: Inventory) -> list[StockLevelChanged | LowStockDetected]:
    assert isinstance(inventory.stock, MemoryStock)
    for message in inventory.stock.outbox:
        assert message.topic == TOPICS.stock
        assert message.key == SKU
    return [STOCK_EVENTS.validate_json(m.payload) for m in inventory.stock.outbox]


def received(units: int, ref: str = "GRN-0001") -> GoodsReceived:
    return event(GoodsReceived, SKU, sku=SKU, warehouse_id=WH, quantity=units, receipt_ref=ref)


def accepted(order_id: str, quantity: int) -> OrderAccepted:
    line = {"sku": SKU, "quantity": quantity, "unit_price": {"amount_minor": 9, "currency": "USD"}}
    return event(OrderAccepted, order_id, lines=[line])


async def test_every_move_publishes_the_absolute_level_and_its_cause() -> None:
    inventory = world()
    await apply_receipt_on_receipt_event(received(10), inventory)
    await reserve_stock_on_order_accepted(accepted("ord_levels_1", 3), inventory)
    await release_stock_on_order_cancelled(event(OrderCancelled, "ord_levels_1"), inventory)
    count = event(StockCounted, SKU, sku=SKU, warehouse_id=WH, counted=8, count_ref="CNT-0001")
    await apply_receipt_on_receipt_event(count, inventory)
    changes = [e for e in published(inventory) if isinstance(e, StockLevelChanged)]
    assert [(e.cause, e.on_hand, e.reserved, e.available) for e in changes] == [
        ("goods_received", 10, 0, 10),
        ("reserved", 10, 3, 7),
        ("released", 10, 0, 10),
        ("counted", 8, 0, 8),
    ]
    assert all(e.warehouse_id == WH and e.sku == SKU for e in changes)


async def test_a_redelivered_receipt_publishes_nothing_more() -> None:
    inventory = world()
    receipt = received(10)
    await apply_receipt_on_receipt_event(receipt, inventory)
    await apply_receipt_on_receipt_event(receipt, inventory)
    assert len(published(inventory)) == 1


async def test_low_stock_is_detected_when_crossing_the_threshold_and_not_again_while_low() -> None:
    inventory = world()
    await apply_receipt_on_receipt_event(received(8), inventory)
    for n in range(4):  # available 8 -> 6 -> 4 (low) -> 2 -> 0
        await reserve_stock_on_order_accepted(accepted(f"ord_low_{n}", 2), inventory)
    lows = [e for e in published(inventory) if isinstance(e, LowStockDetected)]
    assert [(e.available, e.threshold) for e in lows] == [(4, 5)]
    # Back above the threshold, then down again: a new alert.
    await apply_receipt_on_receipt_event(received(10, "GRN-0002"), inventory)
    await reserve_stock_on_order_accepted(accepted("ord_low_again", 6), inventory)
    lows = [e for e in published(inventory) if isinstance(e, LowStockDetected)]
    assert [e.available for e in lows] == [4, 4]


async def test_a_first_receipt_below_the_threshold_is_not_a_fall() -> None:
    inventory = world()
    await apply_receipt_on_receipt_event(received(3), inventory)
    assert [e.event_type for e in published(inventory)] == [StockLevelChanged.__name__]


def test_event_ids_derive_from_the_cause_and_the_move() -> None:
    cause = received(10)
    stock_emit = StockEmit(Cause.of(cause, NOW), "goods_received", 5)
    outlet = inventory_outlet()

    def emit(move: StockMove) -> list[OutboxMessage]:
        return outlet.messages(stock_emit.cause, stock_emit.events(move))

    move = StockMove(WH, SKU, StockLevel(8), StockLevel(4), sequence=3)
    first, again = emit(move), emit(move)
    assert [m.event_id for m in first] == [m.event_id for m in again]
    assert [m.event_type for m in first] == ["StockLevelChanged", "LowStockDetected"]
    later = emit(StockMove(WH, SKU, StockLevel(4), StockLevel(2), sequence=4))
    assert later[0].event_id != first[0].event_id
    for message in first:
        assert STOCK_EVENTS.validate_json(message.payload).causation_id == cause.event_id
