"""Reserve, release and commit on in-memory adapters: each step once, all or nothing."""

import asyncio
from dataclasses import replace
from typing import Any

from inventory_testkit import event

from conveyor_contracts.inventory import StockReleased, StockReserved, StockShortage
from conveyor_contracts.orders import OrderAccepted, OrderCancelled
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.domain.reservation import ReservationStatus, reservation_id_for
from inventory.domain.stock import StockLevel
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.usecases.commit_stock_on_shipment_dispatched import (
    commit_stock_on_shipment_dispatched,
)
from inventory.usecases.context import Inventory, Policy
from inventory.usecases.release_stock_on_order_cancelled import release_stock_on_order_cancelled
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted

SKU = "TEE-BLK-M"
# These tests are about reserving; backorders have their own (test_backorder_use_cases.py).
SHORTAGE = Policy(DEFAULT_WAREHOUSES, unfillable="shortage")


def accepted(order_id: str, quantity: int = 2, **fields: Any) -> OrderAccepted:
    line = {
        "sku": SKU,
        "quantity": quantity,
        "unit_price": {"amount_minor": 1999, "currency": "USD"},
    }
    return event(OrderAccepted, order_id, lines=[line], **fields)


async def stocked(units: dict[str, int]) -> MemoryStock:
    stock = MemoryStock()
    for warehouse_id, on_hand in units.items():
        await stock.receive(warehouse_id, SKU, on_hand, f"rcpt-{warehouse_id}")
    return stock


async def reserve(
    stock: MemoryStock, reservations: MemoryReservations, order: OrderAccepted
) -> None:
    await reserve_stock_on_order_accepted(order, inventory(stock, reservations))


def inventory(
    stock: MemoryStock, reservations: MemoryReservations, policy: Policy = SHORTAGE
) -> Inventory:
    return Inventory(stock, reservations, policy)


def emitted(reservations: MemoryReservations, order_id: str) -> list[str]:
    return [message.event_type for message in reservations.outboxes.get(order_id, [])]


async def test_reserves_in_one_warehouse_and_emits_stock_reserved() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_reserve_1"))
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=5, reserved=2)
    assert emitted(reservations, "ord_reserve_1") == [StockReserved.__name__]


async def test_a_redelivered_order_accepted_reserves_nothing_more() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    order = accepted("ord_redeliver_1")
    await reserve(stock, reservations, order)
    await reserve(stock, reservations, order)
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 2
    assert emitted(reservations, "ord_redeliver_1") == [StockReserved.__name__]


async def test_resumes_a_half_taken_reservation_by_giving_it_back_first() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    order = accepted("ord_crashed_1")
    await reserve(stock, reservations, order)
    # As if the process died after taking the stock but before recording the outcome.
    stored = reservations.reservations["ord_crashed_1"]
    reservations.reservations["ord_crashed_1"] = replace(stored, status=ReservationStatus.PENDING)
    await reserve(stock, reservations, order)
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 2


async def test_splits_across_warehouses_of_the_market() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 1, "WH-US-CA1": 1}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_split_1"))
    stored = await reservations.get("ord_split_1")
    assert stored is not None
    assert [a.warehouse_id for a in stored.allocations] == ["WH-US-NJ1", "WH-US-CA1"]


async def test_reports_a_shortage_and_holds_nothing_when_the_market_cannot_cover() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 1, "WH-GB-LON1": 9}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_short_1"))
    assert emitted(reservations, "ord_short_1") == [StockShortage.__name__]
    assert all(level.reserved == 0 for level in (await stock.levels(SKU)).values())


async def test_releases_stock_when_order_is_cancelled_and_only_once() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_cancel_1"))
    cancelled = event(OrderCancelled, "ord_cancel_1")
    await release_stock_on_order_cancelled(cancelled, inventory(stock, reservations))
    await release_stock_on_order_cancelled(cancelled, inventory(stock, reservations))
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=5, reserved=0)
    assert emitted(reservations, "ord_cancel_1") == [StockReserved.__name__, StockReleased.__name__]


async def test_commits_stock_when_the_carrier_picks_up_and_only_once() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_commit_1"))
    dispatched = event(
        ShipmentDispatched,
        "ord_commit_1",
        reservation_id=reservation_id_for("ord_commit_1"),
        warehouse_id="WH-US-NJ1",
        lines=[{"sku": SKU, "quantity": 2}],
    )
    await commit_stock_on_shipment_dispatched(dispatched, inventory(stock, reservations))
    await commit_stock_on_shipment_dispatched(dispatched, inventory(stock, reservations))
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=3, reserved=0)
    assert emitted(reservations, "ord_commit_1")[-1] == "StockCommitted"
    assert len(emitted(reservations, "ord_commit_1")) == 2


async def test_concurrent_orders_never_reserve_more_than_is_on_hand() -> None:
    stock, reservations = await stocked({"WH-US-NJ1": 50}), MemoryReservations()
    orders = [accepted(f"ord_flash_{n:03d}", quantity=1) for n in range(200)]
    await asyncio.gather(*(reserve(stock, reservations, order) for order in orders))
    level = (await stock.levels(SKU))["WH-US-NJ1"]
    assert level == StockLevel(on_hand=50, reserved=50)
    outcomes = [emitted(reservations, o.order_id)[0] for o in orders]
    assert outcomes.count(StockReserved.__name__) == 50
    assert outcomes.count(StockShortage.__name__) == 150


def dispatched(order_id: str) -> ShipmentDispatched:
    return event(
        ShipmentDispatched,
        order_id,
        reservation_id=reservation_id_for(order_id),
        warehouse_id="WH-US-NJ1",
        lines=[{"sku": SKU, "quantity": 2}],
    )


async def test_a_cancellation_after_the_parcel_left_releases_nothing_and_says_nothing() -> None:
    # The carrier collected the parcel before orders heard of it and accepted the cancellation:
    # the units left with it (shipping recalls it; its return restocks them).
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_race_1"))
    await commit_stock_on_shipment_dispatched(
        dispatched("ord_race_1"), inventory(stock, reservations)
    )
    cancelled = event(OrderCancelled, "ord_race_1")
    await release_stock_on_order_cancelled(cancelled, inventory(stock, reservations))

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=3, reserved=0)
    assert StockReleased.__name__ not in emitted(reservations, "ord_race_1")


async def test_a_parcel_that_left_after_its_stock_was_released_still_takes_it_off_the_shelf() -> (
    None
):
    # The same race, the cancellation handled first: the hold was given back, yet the parcel
    # is on the truck, so the shelf has two units fewer.
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_race_2"))
    cancelled = event(OrderCancelled, "ord_race_2")
    await release_stock_on_order_cancelled(cancelled, inventory(stock, reservations))
    for _ in range(2):  # redelivered
        await commit_stock_on_shipment_dispatched(
            dispatched("ord_race_2"), inventory(stock, reservations)
        )

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=3, reserved=0)
    assert emitted(reservations, "ord_race_2")[-1] == "StockCommitted"
    assert emitted(reservations, "ord_race_2").count("StockCommitted") == 1


async def test_a_dispatch_redelivered_after_a_crash_and_a_cancellation_takes_its_units_once() -> (
    None
):
    # The first delivery took the hold off the shelf and died before marking the reservation;
    # the cancellation then found it still holding and gave back nothing (no hold was left);
    # the redelivered dispatch must see, from the stock itself, that the units already left.
    stock, reservations = await stocked({"WH-US-NJ1": 5}), MemoryReservations()
    await reserve(stock, reservations, accepted("ord_race_3"))
    await stock.ship("WH-US-NJ1", SKU, 2, reservation_id_for("ord_race_3"))
    cancelled = event(OrderCancelled, "ord_race_3")
    await release_stock_on_order_cancelled(cancelled, inventory(stock, reservations))
    await commit_stock_on_shipment_dispatched(
        dispatched("ord_race_3"), inventory(stock, reservations)
    )

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=3, reserved=0)


class CancelBeforeShip(MemoryStock):
    """Stock on which the order's cancellation, handled by another instance, gives the hold
    back between the dispatch reading the reservation and moving the stock."""

    def __init__(self, cancel: OrderCancelled) -> None:
        super().__init__()
        self.cancel, self.armed, self.reservations = cancel, True, MemoryReservations()

    async def ship(self, *args: Any, **kwargs: Any) -> StockLevel | None:
        if self.armed:
            self.armed = False
            await release_stock_on_order_cancelled(self.cancel, inventory(self, self.reservations))
        return await super().ship(*args, **kwargs)


async def test_a_dispatch_racing_the_cancellation_that_gives_its_hold_back_still_takes_the_units() -> (  # noqa: E501
    None
):
    stock = CancelBeforeShip(event(OrderCancelled, "ord_race_4"))
    await stock.receive("WH-US-NJ1", SKU, 5, "rcpt-WH-US-NJ1")
    await reserve(stock, stock.reservations, accepted("ord_race_4"))
    await commit_stock_on_shipment_dispatched(
        dispatched("ord_race_4"), inventory(stock, stock.reservations)
    )

    assert not stock.armed  # the cancellation did run in between
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=3, reserved=0)
