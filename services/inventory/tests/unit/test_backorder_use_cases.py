"""Backorders on in-memory adapters: held nothing, filled whole by later receipts oldest first and
once, dropped on cancellation, reported short once their bound passes."""

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from inventory_testkit import event

from conveyor_contracts.inventory import (
    RESERVATION_EVENTS,
    StockBackordered,
    StockReserved,
    StockShortage,
)
from conveyor_contracts.orders import OrderAccepted, OrderCancelled
from conveyor_contracts.warehouse import GoodsReceived, StockCounted
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.domain.reservation import ReservationStatus
from inventory.domain.stock import StockLevel
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.ports import StockEmit
from inventory.usecases.apply_receipt_on_receipt_event import apply_receipt_on_receipt_event
from inventory.usecases.context import Inventory, Policy
from inventory.usecases.expire_backorder_on_timer import expire_backorder_on_timer
from inventory.usecases.fill_backorders import fill_backorder
from inventory.usecases.release_stock_on_order_cancelled import release_stock_on_order_cancelled
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted

SKU, CAP = "TEE-BLK-M", "CAP-RED-L"
WAIT = timedelta(days=3)
START = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    stock: MemoryStock = field(default_factory=MemoryStock)
    reservations: MemoryReservations = field(default_factory=MemoryReservations)
    clock: Clock = field(default_factory=Clock)

    @property
    def inventory(self) -> Inventory:
        policy = Policy(DEFAULT_WAREHOUSES, unfillable="backorder", backorder_max_wait=WAIT)
        return Inventory(self.stock, self.reservations, policy, self.clock)

    async def accept(self, order_id: str, **quantities: int) -> OrderAccepted:
        lines = [
            {"sku": sku, "quantity": q, "unit_price": {"amount_minor": 999, "currency": "USD"}}
            for sku, q in (quantities or {SKU: 2}).items()
        ]
        order = event(OrderAccepted, order_id, lines=lines)
        await reserve_stock_on_order_accepted(order, self.inventory)
        return order

    async def receive(
        self, warehouse_id: str, units: int, sku: str = SKU, ref: str | None = None
    ) -> GoodsReceived:
        receipt = goods_received(warehouse_id, units, sku, ref)
        await apply_receipt_on_receipt_event(receipt, self.inventory)
        return receipt

    def emitted(self, order_id: str) -> list[str]:
        return [m.event_type for m in self.reservations.outboxes.get(order_id, [])]

    def events(self, order_id: str) -> list[Any]:
        return [
            RESERVATION_EVENTS.validate_json(m.payload)
            for m in self.reservations.outboxes.get(order_id, [])
        ]

    def status(self, order_id: str) -> ReservationStatus:
        return self.reservations.reservations[order_id].status

    async def reserved(self, warehouse_id: str, sku: str = SKU) -> int:
        return (await self.stock.levels(sku)).get(warehouse_id, StockLevel()).reserved


def goods_received(
    warehouse_id: str, units: int, sku: str = SKU, ref: str | None = None
) -> GoodsReceived:
    return GoodsReceived.model_validate(
        GoodsReceived.model_json_schema()["examples"][0]
        | {
            "event_id": str(uuid.uuid4()),
            "occurred_at": START.isoformat(),
            "sku": sku,
            "warehouse_id": warehouse_id,
            "quantity": units,
            "receipt_ref": ref or f"GRN-{uuid.uuid4().hex[:8].upper()}",
        }
    )


async def test_an_unfillable_order_is_backordered_holding_nothing_until_its_bound() -> None:
    world = World()
    await world.receive("WH-US-NJ1", 1)
    await world.receive("WH-GB-LON1", 9)
    await world.accept("ord_bo_1")
    assert world.emitted("ord_bo_1") == [StockBackordered.__name__]
    (backordered,) = world.events("ord_bo_1")
    assert backordered.expected_by == (START + WAIT).date()
    assert [(s.sku, s.requested, s.available) for s in backordered.short_lines] == [(SKU, 2, 1)]
    stored = world.reservations.reservations["ord_bo_1"]
    assert stored.status is ReservationStatus.BACKORDERED
    assert stored.due_at == START + WAIT
    assert all(level.reserved == 0 for level in (await world.stock.levels(SKU)).values())


async def test_a_later_receipt_that_covers_the_order_reserves_it_with_an_id_from_the_receipt() -> (
    None
):
    world = World()
    await world.receive("WH-US-NJ1", 1)
    await world.accept("ord_bo_2")
    receipt = await world.receive("WH-US-NJ1", 4)
    assert world.emitted("ord_bo_2") == [StockBackordered.__name__, StockReserved.__name__]
    reserved = world.events("ord_bo_2")[-1]
    assert reserved.causation_id == receipt.event_id
    assert reserved.correlation_id == "ord_bo_2"
    assert [a.warehouse_id for a in reserved.allocations] == ["WH-US-NJ1"]
    assert await world.reserved("WH-US-NJ1") == 2
    stored = world.reservations.reservations["ord_bo_2"]
    assert stored.status is ReservationStatus.RESERVED
    assert stored.due_at is None


async def test_a_redelivered_receipt_fills_nothing_twice() -> None:
    world = World()
    await world.accept("ord_bo_3")
    receipt = goods_received("WH-US-NJ1", 10)
    await apply_receipt_on_receipt_event(receipt, world.inventory)
    await apply_receipt_on_receipt_event(receipt, world.inventory)
    assert world.emitted("ord_bo_3") == [StockBackordered.__name__, StockReserved.__name__]
    assert (await world.stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=10, reserved=2)


async def test_a_fill_is_split_across_the_market_exactly_as_a_fresh_allocation_would_be() -> None:
    world = World()
    await world.accept("ord_bo_split", **{SKU: 3})
    await world.receive("WH-US-NJ1", 1)
    await world.receive("WH-US-CA1", 2)
    reserved = world.events("ord_bo_split")[-1]
    assert isinstance(reserved, StockReserved)
    assert [(a.warehouse_id, a.lines[0].quantity) for a in reserved.allocations] == [
        ("WH-US-NJ1", 1),
        ("WH-US-CA1", 2),
    ]


async def test_an_order_is_reserved_only_when_every_line_is_covered() -> None:
    world = World()
    await world.accept("ord_bo_two_lines", **{SKU: 1, CAP: 1})
    await world.receive("WH-US-NJ1", 5, SKU)
    assert world.status("ord_bo_two_lines") is ReservationStatus.BACKORDERED
    assert await world.reserved("WH-US-NJ1") == 0
    await world.receive("WH-US-TX1", 5, CAP)
    assert world.status("ord_bo_two_lines") is ReservationStatus.RESERVED


async def test_receipts_fill_backorders_of_a_sku_oldest_first() -> None:
    world = World()
    await world.accept("ord_bo_z_older")  # the ids sort against the ages on purpose
    world.clock.now += timedelta(minutes=1)
    await world.accept("ord_bo_a_younger")
    await world.receive("WH-US-NJ1", 2)
    assert world.status("ord_bo_z_older") is ReservationStatus.RESERVED
    assert world.status("ord_bo_a_younger") is ReservationStatus.BACKORDERED


async def test_a_backorder_still_short_does_not_block_a_younger_one_that_fits() -> None:
    world = World()
    await world.accept("ord_bo_big", **{SKU: 5})
    world.clock.now += timedelta(minutes=1)
    await world.accept("ord_bo_small", **{SKU: 1})
    await world.receive("WH-US-NJ1", 2)
    assert world.status("ord_bo_big") is ReservationStatus.BACKORDERED
    assert world.status("ord_bo_small") is ReservationStatus.RESERVED


async def test_a_count_that_covers_the_order_fills_it_too() -> None:
    world = World()
    await world.accept("ord_bo_count")
    counted = event(StockCounted, "ord_bo_count", sku=SKU, warehouse_id="WH-US-TX1", counted=7)
    await apply_receipt_on_receipt_event(counted, world.inventory)
    assert world.status("ord_bo_count") is ReservationStatus.RESERVED
    assert await world.reserved("WH-US-TX1") == 2


async def test_past_its_bound_a_backorder_is_reported_short_exactly_once_and_never_filled() -> None:
    world = World()
    await world.accept("ord_bo_late")
    assert not await expire_backorder_on_timer("ord_bo_late", START + WAIT / 2, world.inventory)
    world.clock.now = START + WAIT
    assert await expire_backorder_on_timer("ord_bo_late", world.clock.now, world.inventory)
    assert not await expire_backorder_on_timer("ord_bo_late", world.clock.now, world.inventory)
    await world.receive("WH-US-NJ1", 10)
    assert world.emitted("ord_bo_late") == [StockBackordered.__name__, StockShortage.__name__]
    assert world.reservations.reservations["ord_bo_late"].due_at is None
    assert await world.reserved("WH-US-NJ1") == 0


async def test_a_receipt_after_the_bound_leaves_the_order_to_the_timer() -> None:
    world = World()
    await world.accept("ord_bo_after")
    world.clock.now = START + WAIT + timedelta(seconds=1)
    await world.receive("WH-US-NJ1", 10)
    assert world.status("ord_bo_after") is ReservationStatus.BACKORDERED
    assert await expire_backorder_on_timer("ord_bo_after", world.clock.now, world.inventory)
    assert world.emitted("ord_bo_after")[-1] == StockShortage.__name__


async def test_a_cancelled_backorder_is_dropped_silently_and_never_reserved() -> None:
    world = World()
    await world.accept("ord_bo_cancel")
    cancelled = event(OrderCancelled, "ord_bo_cancel")
    await release_stock_on_order_cancelled(cancelled, world.inventory)
    await world.receive("WH-US-NJ1", 10)
    world.clock.now = START + WAIT
    assert not await expire_backorder_on_timer("ord_bo_cancel", world.clock.now, world.inventory)
    assert world.emitted("ord_bo_cancel") == [StockBackordered.__name__]
    assert world.status("ord_bo_cancel") is ReservationStatus.DROPPED
    assert await world.reserved("WH-US-NJ1") == 0


async def test_a_redelivered_order_accepted_fills_its_backorder_if_stock_came_meanwhile() -> None:
    world = World()
    order = await world.accept("ord_bo_redeliver")
    # Stock that arrived without its receipt looking at backorders (as if the receipt was
    # applied between the order's snapshot and its backorder being stored).
    await world.stock.receive("WH-US-NJ1", SKU, 5, "GRN-SILENT")
    await reserve_stock_on_order_accepted(order, world.inventory)
    await reserve_stock_on_order_accepted(order, world.inventory)
    assert world.emitted("ord_bo_redeliver") == [StockBackordered.__name__, StockReserved.__name__]
    assert await world.reserved("WH-US-NJ1") == 2


async def test_a_fill_that_died_half_way_is_finished_by_its_receipt_and_left_alone_by_others() -> (
    None
):
    world = World()
    await world.accept("ord_bo_crash")
    receipt = await world.receive("WH-US-NJ1", 5)
    # As if the process died after taking the stock but before recording the outcome.
    stored = world.reservations.reservations["ord_bo_crash"]
    world.reservations.reservations["ord_bo_crash"] = replace(
        stored, status=ReservationStatus.PENDING, claim=str(receipt.event_id)
    )
    world.reservations.outboxes["ord_bo_crash"].pop()
    await world.receive("WH-US-NJ1", 1)  # another receipt: not its fill to finish
    assert world.status("ord_bo_crash") is ReservationStatus.PENDING
    await apply_receipt_on_receipt_event(receipt, world.inventory)  # the redelivery
    assert world.status("ord_bo_crash") is ReservationStatus.RESERVED
    assert await world.reserved("WH-US-NJ1") == 2
    assert world.emitted("ord_bo_crash") == [StockBackordered.__name__, StockReserved.__name__]


class CancelMidFill(MemoryStock):
    """Stock whose first hold lets the order's cancellation run before it lands."""

    def __init__(self, world: World, cancel: OrderCancelled) -> None:
        super().__init__()
        self.world, self.cancel, self.armed = world, cancel, False

    async def reserve(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> bool:
        if self.armed:
            self.armed = False
            await release_stock_on_order_cancelled(self.cancel, self.world.inventory)
        return await super().reserve(warehouse_id, sku, units, key, emit)


async def test_a_cancellation_during_a_fill_leaves_nothing_held_and_nothing_reserved() -> None:
    world = World()
    stock = CancelMidFill(world, event(OrderCancelled, "ord_bo_race"))
    world.stock = stock
    await world.accept("ord_bo_race")
    stock.armed = True
    await world.receive("WH-US-NJ1", 5)
    assert StockReserved.__name__ not in world.emitted("ord_bo_race")
    assert world.status("ord_bo_race") is ReservationStatus.RELEASED
    assert await world.reserved("WH-US-NJ1") == 0


async def test_filling_a_backorder_again_is_a_no_op() -> None:
    world = World()
    await world.accept("ord_bo_again")
    receipt = await world.receive("WH-US-NJ1", 5)
    assert not await fill_backorder("ord_bo_again", receipt, world.inventory)
    assert await world.reserved("WH-US-NJ1") == 2
