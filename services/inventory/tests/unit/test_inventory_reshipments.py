"""Reshipments on in-memory adapters: an approved reshipment is reserved once per case, in the
order's market, or reported short (never backordered), and its dispatch commits its own hold."""

from dataclasses import replace

import pytest
from inventory_aftersales_testkit import (
    SKU,
    accepted,
    receive,
    reservation_events,
    shipped_order,
    stores,
    types,
    world,
)
from inventory_testkit import event

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from conveyor_contracts.support import CaseOpened, ReshipmentApproved
from conveyor_runtime.failures import PermanentError
from inventory.domain.allocation import Allocation
from inventory.domain.reservation import (
    ReservationStatus,
    market_of,
    reservation_id_for,
    reservation_id_for_case,
    reshipment_key,
)
from inventory.domain.stock import StockLevel
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.usecases.commit_stock_on_shipment_dispatched import (
    commit_stock_on_shipment_dispatched,
)
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted
from inventory.usecases.reserve_stock_on_reshipment_approved import (
    reserve_stock_on_reshipment_approved,
)


def reshipment(order_id: str, case_id: str, **quantities: int) -> ReshipmentApproved:
    lines = [{"sku": sku, "quantity": q} for sku, q in (quantities or {SKU: 1}).items()]
    return event(ReshipmentApproved, order_id, case_id=case_id, lines=lines)


async def test_a_reshipment_is_reserved_as_a_new_reservation_with_its_case() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_reship_1", **{SKU: 1})
    await receive(inventory, "WH-US-TX1", SKU, 4)
    approved = reshipment("ord_reship_1", "case_RESHIP0001", **{SKU: 2})
    await reserve_stock_on_reshipment_approved(approved, inventory)

    rid = reservation_id_for_case("case_RESHIP0001")
    key = reshipment_key(rid)
    reserved = reservation_events(reservations, key)
    assert [e.event_type for e in reserved] == ["StockReserved"]
    assert isinstance(reserved[0], StockReserved)
    assert reserved[0].case_id == "case_RESHIP0001"
    assert reserved[0].order_id == "ord_reship_1"
    assert reserved[0].reservation_id == rid != reservation_id_for("ord_reship_1")
    assert [(a.warehouse_id, a.lines[0].quantity) for a in reserved[0].allocations] == [
        ("WH-US-TX1", 2)
    ]
    assert (await stock.levels(SKU))["WH-US-TX1"] == StockLevel(on_hand=4, reserved=2)
    # The order's own reservation is untouched.
    order = reservations.reservations["ord_reship_1"]
    assert order.status is ReservationStatus.RESERVED
    assert order.committed == ("WH-US-NJ1",)


async def test_a_redelivered_or_repeated_reshipment_reserves_once_per_case() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_reship_2", **{SKU: 1})
    await receive(inventory, "WH-US-NJ1", SKU, 5)
    approved = reshipment("ord_reship_2", "case_RESHIP0002")
    await reserve_stock_on_reshipment_approved(approved, inventory)
    await reserve_stock_on_reshipment_approved(approved, inventory)
    await reserve_stock_on_reshipment_approved(
        reshipment("ord_reship_2", "case_RESHIP0002"), inventory
    )

    key = reshipment_key(reservation_id_for_case("case_RESHIP0002"))
    assert types(reservations, key) == ["StockReserved"]
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=5, reserved=1)


async def test_two_cases_of_one_order_reserve_twice() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_reship_3", **{SKU: 1})
    await receive(inventory, "WH-US-NJ1", SKU, 5)
    for case_id in ("case_RESHIP0003", "case_RESHIP0004"):
        await reserve_stock_on_reshipment_approved(reshipment("ord_reship_3", case_id), inventory)

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=5, reserved=2)
    for case_id in ("case_RESHIP0003", "case_RESHIP0004"):
        key = reshipment_key(reservation_id_for_case(case_id))
        assert types(reservations, key) == ["StockReserved"]


async def test_a_reshipment_stays_in_the_order_market_and_splits_if_it_must() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    for warehouse_id in ("WH-CA-ON1", "WH-US-NJ1"):
        await receive(inventory, warehouse_id, SKU, 1)
    await reserve_stock_on_order_accepted(accepted("ord_reship_4", market="CA"), inventory)
    await receive(inventory, "WH-US-NJ1", SKU, 10)
    await receive(inventory, "WH-CA-ON1", SKU, 1)
    await receive(inventory, "WH-CA-BC1", SKU, 1)
    await reserve_stock_on_reshipment_approved(
        reshipment("ord_reship_4", "case_RESHIP0005", **{SKU: 2}), inventory
    )

    key = reshipment_key(reservation_id_for_case("case_RESHIP0005"))
    reserved = reservation_events(reservations, key)[0]
    assert sorted((a.warehouse_id, a.lines[0].quantity) for a in reserved.allocations) == [
        ("WH-CA-BC1", 1),
        ("WH-CA-ON1", 1),
    ]
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 0


async def test_a_reshipment_the_market_cannot_fill_is_short_not_backordered() -> None:
    inventory = world()  # the backorder policy: accepted orders would wait; reshipments do not
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_reship_5", **{SKU: 1})
    approved = reshipment("ord_reship_5", "case_RESHIP0006", **{SKU: 2})
    await reserve_stock_on_reshipment_approved(approved, inventory)
    await receive(inventory, "WH-US-NJ1", SKU, 5)
    await reserve_stock_on_reshipment_approved(approved, inventory)

    key = reshipment_key(reservation_id_for_case("case_RESHIP0006"))
    events = reservation_events(reservations, key)
    assert [e.event_type for e in events] == ["StockShortage"]
    assert [(s.sku, s.requested, s.available) for s in events[0].short_lines] == [(SKU, 2, 0)]
    assert reservations.reservations[key].due_at is None
    assert (await stock.levels(SKU))["WH-US-NJ1"].reserved == 0


async def test_a_reshipment_that_died_half_way_is_given_back_and_taken_again() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_reship_6", **{SKU: 1})
    await receive(inventory, "WH-US-NJ1", SKU, 5)
    approved = reshipment("ord_reship_6", "case_RESHIP0007", **{SKU: 2})
    await reserve_stock_on_reshipment_approved(approved, inventory)
    key = reshipment_key(reservation_id_for_case("case_RESHIP0007"))
    # As if the process died after taking the holds, before settling.
    reservations.reservations[key] = replace(
        reservations.reservations[key], status=ReservationStatus.PENDING
    )
    reservations.outboxes[key] = []
    await reserve_stock_on_reshipment_approved(approved, inventory)

    assert types(reservations, key) == ["StockReserved"]
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=5, reserved=2)


async def test_a_reshipment_of_an_unknown_order_is_refused() -> None:
    inventory = world()
    await receive(inventory, "WH-US-NJ1", SKU, 5)
    with pytest.raises(PermanentError):
        await reserve_stock_on_reshipment_approved(
            reshipment("ord_reship_7", "case_RESHIP0008"), inventory
        )
    assert (await inventory.stock.levels(SKU))["WH-US-NJ1"].reserved == 0


async def test_the_dispatch_of_a_reshipment_commits_its_own_reservation() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_reship_8", **{SKU: 1})
    await receive(inventory, "WH-US-NJ1", SKU, 3)
    await reserve_stock_on_reshipment_approved(
        reshipment("ord_reship_8", "case_RESHIP0009"), inventory
    )
    rid = reservation_id_for_case("case_RESHIP0009")
    dispatched = event(
        ShipmentDispatched,
        "ord_reship_8",
        reservation_id=rid,
        warehouse_id="WH-US-NJ1",
        lines=[{"sku": SKU, "quantity": 1}],
    )
    await commit_stock_on_shipment_dispatched(dispatched, inventory)
    await commit_stock_on_shipment_dispatched(dispatched, inventory)

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=2, reserved=0)
    assert types(reservations, reshipment_key(rid)) == ["StockReserved", "StockCommitted"]


async def test_other_case_events_are_no_reshipment() -> None:
    # The subscriber hands only ReshipmentApproved over; the contract keeps them apart.
    opened = event(CaseOpened, "ord_reship_9")
    assert not isinstance(opened, ReshipmentApproved)


def test_the_market_of_an_order_stored_before_markets_were_kept_is_that_of_its_warehouses() -> None:
    from inventory.domain.reservation import Reservation

    legacy = Reservation(
        "ord_legacy_1",
        reservation_id_for("ord_legacy_1"),
        ReservationStatus.RESERVED,
        (Allocation("WH-GB-MAN1", ((SKU, 1),)),),
    )
    assert market_of(legacy, DEFAULT_WAREHOUSES) == "GB"
    assert market_of(replace(legacy, allocations=()), DEFAULT_WAREHOUSES) is None
    assert market_of(replace(legacy, market="CA"), DEFAULT_WAREHOUSES) == "CA"
