"""Returns on in-memory adapters: a returned parcel is restocked once, in the warehouse that
inspected it, its damaged and missing units written off; a restock fills a backorder it covers."""

import uuid
from typing import Any

import pytest
from inventory_aftersales_testkit import (
    CAP,
    SKU,
    accepted,
    reservation_events,
    shipped_order,
    stores,
    types,
    world,
)
from inventory_testkit import event

from conveyor_contracts.inventory import StockRestocked
from conveyor_contracts.stock import STOCK_EVENTS, StockLevelChanged
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.failures import PermanentError
from inventory.domain.stock import StockLevel
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted
from inventory.usecases.restock_on_return_inspected import restock_on_return_inspected


def inspected(order_id: str, *lines: tuple[str, int, str], **fields: Any) -> ReturnInspected:
    return event(
        ReturnInspected,
        order_id,
        lines=[{"sku": sku, "quantity": q, "condition": c} for sku, q, c in lines],
        **fields,
    )


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
