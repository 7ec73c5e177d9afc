"""Returns and reshipments on in-memory adapters: a returned parcel is restocked once, its
damaged and missing units written off; an approved reshipment is reserved once per case, in the
order's market, or reported short (never backordered)."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from inventory_testkit import TOPICS, event

from conveyor_contracts.inventory import RESERVATION_EVENTS, StockReserved, StockRestocked
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from conveyor_contracts.stock import STOCK_EVENTS, StockLevelChanged
from conveyor_contracts.support import CaseOpened, ReshipmentApproved
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.failures import PermanentError
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.domain.allocation import Allocation
from inventory.domain.reservation import ReservationStatus, market_of, reshipment_key
from inventory.domain.stock import StockLevel
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.usecases.commit_stock_on_shipment_dispatched import (
    commit_stock_on_shipment_dispatched,
)
from inventory.usecases.context import Inventory, Policy
from inventory.usecases.emit import reservation_id_for, reservation_id_for_case
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted
from inventory.usecases.reserve_stock_on_reshipment_approved import (
    reserve_stock_on_reshipment_approved,
)
from inventory.usecases.restock_on_return_inspected import restock_on_return_inspected

SKU, CAP = "TEE-BLK-M", "CAP-RED-L"
START = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)


def world(policy: Policy | None = None) -> Inventory:
    return Inventory(
        MemoryStock(),
        MemoryReservations(),
        TOPICS,
        policy or Policy(DEFAULT_WAREHOUSES, unfillable="backorder"),
        lambda: START,
    )


def stores(inventory: Inventory) -> tuple[MemoryStock, MemoryReservations]:
    assert isinstance(inventory.stock, MemoryStock)
    assert isinstance(inventory.reservations, MemoryReservations)
    return inventory.stock, inventory.reservations


async def receive(inventory: Inventory, warehouse_id: str, sku: str, units: int) -> None:
    await inventory.stock.receive(warehouse_id, sku, units, f"rcpt-{uuid.uuid4().hex}")


def accepted(order_id: str, market: str = "US", **quantities: int) -> OrderAccepted:
    currency = {"US": "USD", "CA": "CAD", "GB": "GBP"}[market]
    lines = [
        {"sku": sku, "quantity": q, "unit_price": {"amount_minor": 999, "currency": currency}}
        for sku, q in (quantities or {SKU: 1}).items()
    ]
    if market == "US":
        return event(OrderAccepted, order_id, lines=lines)
    assert market == "CA"
    toronto = {
        "address_lines": ["1 Yonge Street"],
        "city": "Toronto",
        "country": "CA",
        "postal_code": "M5E 1W7",
        "region": "ON",
    }
    return event(
        OrderAccepted, order_id, lines=lines, market=market, currency=currency, ship_to=toronto
    )


def inspected(order_id: str, *lines: tuple[str, int, str], **fields: Any) -> ReturnInspected:
    return event(
        ReturnInspected,
        order_id,
        lines=[{"sku": sku, "quantity": q, "condition": c} for sku, q, c in lines],
        **fields,
    )


def reshipment(order_id: str, case_id: str, **quantities: int) -> ReshipmentApproved:
    lines = [{"sku": sku, "quantity": q} for sku, q in (quantities or {SKU: 1}).items()]
    return event(ReshipmentApproved, order_id, case_id=case_id, lines=lines)


def reservation_events(reservations: MemoryReservations, key: str) -> list[Any]:
    return [RESERVATION_EVENTS.validate_json(m.payload) for m in reservations.outboxes.get(key, [])]


def types(reservations: MemoryReservations, key: str) -> list[str]:
    return [e.event_type for e in reservation_events(reservations, key)]


async def shipped_order(inventory: Inventory, order_id: str, **quantities: int) -> None:
    """An order reserved in WH-US-NJ1 and picked up by the carrier."""
    for sku, q in (quantities or {SKU: 1}).items():
        await receive(inventory, "WH-US-NJ1", sku, q)
    await reserve_stock_on_order_accepted(accepted(order_id, **quantities), inventory)
    dispatched = event(
        ShipmentDispatched,
        order_id,
        reservation_id=reservation_id_for(order_id),
        warehouse_id="WH-US-NJ1",
        lines=[{"sku": sku, "quantity": q} for sku, q in (quantities or {SKU: 1}).items()],
    )
    await commit_stock_on_shipment_dispatched(dispatched, inventory)


# Returns


async def test_an_inspected_return_restocks_resellable_units_and_writes_off_the_rest() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_return_1", **{SKU: 3, CAP: 1})
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=0, reserved=0)
    returned = inspected(
        "ord_return_1",
        (SKU, 2, "resellable"),
        (SKU, 1, "damaged"),
        (CAP, 1, "missing"),
        warehouse_id="WH-US-CA1",
    )
    await restock_on_return_inspected(returned, inventory)

    # Back on the shelf of the warehouse that inspected it; nothing comes back of the rest.
    assert (await stock.levels(SKU))["WH-US-CA1"] == StockLevel(on_hand=2, reserved=0)
    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=0, reserved=0)
    assert "WH-US-CA1" not in await stock.levels(CAP)
    restocked = reservation_events(reservations, "ord_return_1")[-1]
    assert isinstance(restocked, StockRestocked)
    assert restocked.causation_id == returned.event_id
    assert (restocked.shipment_id, restocked.rma_id, restocked.warehouse_id) == (
        returned.shipment_id,
        returned.rma_id,
        "WH-US-CA1",
    )
    assert [(s.sku, s.quantity) for s in restocked.restocked] == [(SKU, 2)]
    assert [(s.sku, s.quantity) for s in restocked.written_off] == [(CAP, 1), (SKU, 1)]
    level = STOCK_EVENTS.validate_json(stock.outbox[-1].payload)
    assert isinstance(level, StockLevelChanged)
    assert (level.cause, level.warehouse_id, level.on_hand) == ("restocked", "WH-US-CA1", 2)


async def test_a_redelivered_or_repeated_inspection_restocks_the_parcel_once() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_return_2", **{SKU: 2})
    returned = inspected("ord_return_2", (SKU, 2, "resellable"))
    await restock_on_return_inspected(returned, inventory)
    stock_events = len(stock.outbox)
    await restock_on_return_inspected(returned, inventory)
    # The warehouse reporting the same parcel again, as a new event: still once per parcel.
    again = returned.model_copy(update={"event_id": uuid.uuid4()})
    await restock_on_return_inspected(again, inventory)

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=2, reserved=0)
    assert types(reservations, "ord_return_2").count("StockRestocked") == 1
    assert len(stock.outbox) == stock_events


async def test_a_return_that_died_before_it_was_marked_is_finished_by_its_redelivery() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_return_3", **{SKU: 1})
    returned = inspected("ord_return_3", (SKU, 1, "resellable"))
    # The stock move landed, the process died before the parcel was marked on the order.
    emit = inventory.stock_events(returned, "restocked")
    await stock.receive("WH-US-NJ1", SKU, 1, f"return|{returned.shipment_id}", emit)
    await restock_on_return_inspected(returned, inventory)

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=1, reserved=0)
    assert types(reservations, "ord_return_3").count("StockRestocked") == 1


async def test_a_parcel_entirely_written_off_changes_no_stock_and_is_reported() -> None:
    inventory = world()
    stock, reservations = stores(inventory)
    await shipped_order(inventory, "ord_return_4", **{SKU: 1})
    before = len(stock.outbox)
    await restock_on_return_inspected(inspected("ord_return_4", (SKU, 1, "damaged")), inventory)

    assert (await stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=0, reserved=0)
    assert len(stock.outbox) == before
    restocked = reservation_events(reservations, "ord_return_4")[-1]
    assert isinstance(restocked, StockRestocked)
    assert restocked.restocked == ()
    assert [(s.sku, s.quantity) for s in restocked.written_off] == [(SKU, 1)]


async def test_a_restock_fills_a_backorder_it_now_covers() -> None:
    inventory = world()
    _, reservations = stores(inventory)
    await shipped_order(inventory, "ord_return_5", **{SKU: 2})
    await reserve_stock_on_order_accepted(accepted("ord_waiting_5", **{SKU: 2}), inventory)
    assert types(reservations, "ord_waiting_5") == ["StockBackordered"]
    returned = inspected("ord_return_5", (SKU, 2, "resellable"))
    await restock_on_return_inspected(returned, inventory)
    await restock_on_return_inspected(returned, inventory)

    assert types(reservations, "ord_waiting_5") == ["StockBackordered", "StockReserved"]
    reserved = reservation_events(reservations, "ord_waiting_5")[-1]
    assert reserved.causation_id == returned.event_id
    assert (await inventory.stock.levels(SKU))["WH-US-NJ1"] == StockLevel(on_hand=2, reserved=2)


async def test_a_return_of_an_order_inventory_never_reserved_is_refused() -> None:
    inventory = world()
    with pytest.raises(PermanentError):
        await restock_on_return_inspected(
            inspected("ord_unknown_6", (SKU, 1, "resellable")), inventory
        )
    assert await inventory.stock.levels(SKU) == {}


# Reshipments


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
