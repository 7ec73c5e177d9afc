"""The one reservation loop every path shares (accepted order, reshipment, backorder fill): the
plan is stored before stock is held, a lost race is given back and planned again, and after
ATTEMPTS lost races it asks for a retry, holding nothing."""

import pytest
from inventory_testkit import event

from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.support import ReshipmentApproved
from conveyor_runtime.documents import ConcurrentUpdateError
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.domain.reservation import (
    Reservation,
    ReservationStatus,
    reservation_id_for,
    reservation_id_for_case,
    reshipment_key,
)
from inventory.domain.stock import StockLevel
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.ports import StockEmit
from inventory.usecases.context import Inventory, Policy
from inventory.usecases.fill_backorders import fill_backorder
from inventory.usecases.reserve import ATTEMPTS
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted
from inventory.usecases.reserve_stock_on_reshipment_approved import (
    reserve_stock_on_reshipment_approved,
)

SKU = "TEE-BLK-M"


class RacedStock(MemoryStock):
    """Stock whose first ``lost`` holds are taken by someone else just before they land, and
    which notes, at each hold, the reservation stored under ``key`` at that moment."""

    def __init__(self, reservations: MemoryReservations, key: str, lost: int) -> None:
        super().__init__()
        self.reservations, self.key, self.lost = reservations, key, lost
        self.holds = 0
        self.seen: list[Reservation | None] = []

    async def reserve(
        self, warehouse_id: str, sku: str, units: int, key: str, emit: StockEmit | None = None
    ) -> bool:
        self.holds += 1
        self.seen.append(self.reservations.reservations.get(self.key))
        if self.lost:
            self.lost -= 1
            return False
        return await super().reserve(warehouse_id, sku, units, key, emit)


def inventory(stock: MemoryStock, reservations: MemoryReservations) -> Inventory:
    return Inventory(stock, reservations, Policy(DEFAULT_WAREHOUSES, unfillable="backorder"))


def accepted(order_id: str) -> OrderAccepted:
    line = {"sku": SKU, "quantity": 2, "unit_price": {"amount_minor": 1999, "currency": "USD"}}
    return event(OrderAccepted, order_id, lines=[line])


async def world(key: str, lost: int) -> tuple[RacedStock, MemoryReservations]:
    reservations = MemoryReservations()
    stock = RacedStock(reservations, key, lost)
    await stock.receive("WH-US-NJ1", SKU, 5, "rcpt-1")
    return stock, reservations


def types(reservations: MemoryReservations, key: str) -> list[str]:
    return [m.event_type for m in reservations.outboxes.get(key, [])]


async def test_an_order_stores_its_plan_before_it_holds_any_stock() -> None:
    stock, reservations = await world("ord_loop_1", lost=0)
    await reserve_stock_on_order_accepted(accepted("ord_loop_1"), inventory(stock, reservations))
    (before_hold,) = stock.seen
    assert before_hold is not None
    assert before_hold.status is ReservationStatus.PENDING
    assert [a.warehouse_id for a in before_hold.allocations] == ["WH-US-NJ1"]
    assert reservations.reservations["ord_loop_1"].status is ReservationStatus.RESERVED


async def test_an_order_that_loses_a_race_gives_it_back_and_reserves_once_on_a_fresh_plan() -> None:
    stock, reservations = await world("ord_loop_2", lost=ATTEMPTS - 1)
    await reserve_stock_on_order_accepted(accepted("ord_loop_2"), inventory(stock, reservations))
    assert stock.holds == ATTEMPTS
    assert types(reservations, "ord_loop_2") == ["StockReserved"]
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=5, reserved=2)


async def test_an_order_that_loses_every_race_asks_for_a_retry_and_holds_nothing() -> None:
    stock, reservations = await world("ord_loop_3", lost=ATTEMPTS)
    with pytest.raises(ConcurrentUpdateError, match="ord_loop_3"):
        await reserve_stock_on_order_accepted(
            accepted("ord_loop_3"), inventory(stock, reservations)
        )
    assert stock.holds == ATTEMPTS
    assert types(reservations, "ord_loop_3") == []
    # Left pending with its last plan: the retry gives that back first.
    stored = reservations.reservations["ord_loop_3"]
    assert stored.status is ReservationStatus.PENDING
    assert stored.reservation_id == reservation_id_for("ord_loop_3")
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 0


async def test_a_reshipment_stores_its_plan_before_it_holds_and_retries_like_an_order() -> None:
    key = reshipment_key(reservation_id_for_case("case_LOOP0001"))
    stock, reservations = await world(key, lost=0)
    shop = inventory(stock, reservations)
    await reserve_stock_on_order_accepted(accepted("ord_loop_4"), shop)  # holds 2, not raced
    stock.lost, stock.holds, stock.seen = ATTEMPTS, 0, []
    approved = event(
        ReshipmentApproved,
        "ord_loop_4",
        case_id="case_LOOP0001",
        lines=[{"sku": SKU, "quantity": 1}],
    )
    with pytest.raises(ConcurrentUpdateError, match="reshipment case_LOOP0001"):
        await reserve_stock_on_reshipment_approved(approved, shop)
    assert stock.holds == ATTEMPTS
    assert all(seen is not None and seen.status is ReservationStatus.PENDING for seen in stock.seen)
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 2
    await reserve_stock_on_reshipment_approved(approved, shop)  # the retry
    assert types(reservations, key) == ["StockReserved"]
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 3


async def test_a_fill_that_loses_every_race_asks_for_a_retry_leaving_the_backorder_waiting() -> (
    None
):
    reservations = MemoryReservations()
    stock = RacedStock(reservations, "ord_loop_5", lost=0)
    shop = inventory(stock, reservations)
    order = accepted("ord_loop_5")
    await reserve_stock_on_order_accepted(order, shop)  # nothing on hand yet: backordered
    assert reservations.reservations["ord_loop_5"].status is ReservationStatus.BACKORDERED
    await stock.receive("WH-US-NJ1", SKU, 5, "rcpt-1")
    stock.lost = ATTEMPTS
    with pytest.raises(ConcurrentUpdateError, match="backorder ord_loop_5"):
        await fill_backorder("ord_loop_5", order, shop)
    assert stock.holds == ATTEMPTS
    # Each hold was tried under the fill's claim, stored before it.
    assert all(seen is not None and seen.claim == str(order.event_id) for seen in stock.seen)
    stored = reservations.reservations["ord_loop_5"]
    assert (stored.status, stored.claim, stored.allocations) == (
        ReservationStatus.BACKORDERED,
        None,
        (),
    )
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 0
    assert await fill_backorder("ord_loop_5", order, shop)  # the retry
    assert types(reservations, "ord_loop_5") == ["StockBackordered", "StockReserved"]
