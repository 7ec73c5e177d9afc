"""Reservations keep whose goods each line holds: the stock's seller where the stock knows it (the
units held are that stock's), else the one the order's line named; the lines of StockReserved,
StockCommitted and StockRestocked say so, and the reservation document keeps them."""

from datetime import UTC, datetime
from typing import Any

from inventory_testkit import event

from conveyor_contracts.inventory import (
    RESERVATION_EVENTS,
    StockCommitted,
    StockReserved,
    StockRestocked,
)
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from conveyor_contracts.support import ReshipmentApproved
from conveyor_contracts.warehouse import ReturnInspected
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.adapters.mongo_reservations import from_document, to_document
from inventory.domain.allocation import Allocation, with_sellers
from inventory.domain.reservation import (
    Backorder,
    Reservation,
    ReservationStatus,
    parcel_sellers,
    reservation_id_for,
    reservation_id_for_case,
    reshipment_key,
)
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.usecases.commit_stock_on_shipment_dispatched import (
    commit_stock_on_shipment_dispatched,
)
from inventory.usecases.context import Inventory, Policy
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted
from inventory.usecases.reserve_stock_on_reshipment_approved import (
    reserve_stock_on_reshipment_approved,
)
from inventory.usecases.restock_on_return_inspected import restock_on_return_inspected

TEE, CAP, MUG = "TEE-BLK-M", "CAP-RED-L", "MUG-WHT-1"
NJ, CA = "WH-US-NJ1", "WH-US-CA1"
ACME, OTHER = "sel_ACME0001", "sel_OTHER0002"


def test_each_allocated_line_takes_the_stocks_seller_else_the_orders() -> None:
    allocations = (Allocation(NJ, ((CAP, 1), (MUG, 2), (TEE, 3))), Allocation(CA, ((TEE, 1),)))
    ordered = {CAP: ACME, TEE: OTHER}  # MUG's line named no seller
    stocked = {(NJ, TEE): ACME, (CA, MUG): OTHER}  # NJ's CAP and CA's TEE stock know none
    assert with_sellers(allocations, ordered, stocked) == (
        # CAP: the order's; MUG: nobody says; TEE at NJ: the stock's, over the order's.
        Allocation(NJ, ((CAP, 1), (MUG, 2), (TEE, 3)), ((CAP, ACME), (TEE, ACME))),
        # TEE at CA: the stock knows none, the order's line names OTHER.
        Allocation(CA, ((TEE, 1),), ((TEE, OTHER),)),
    )


def test_a_parcels_lines_take_the_sellers_reserved_in_its_warehouse_else_the_messages() -> None:
    reservation = Reservation(
        "ord_1",
        "rsv_1",
        ReservationStatus.RESERVED,
        (
            Allocation(NJ, ((CAP, 1), (TEE, 2)), ((TEE, ACME),)),
            Allocation(CA, ((CAP, 1),), ((CAP, OTHER),)),
        ),
    )
    said = {CAP: ACME, TEE: OTHER, MUG: OTHER}
    assert parcel_sellers(reservation, NJ, [TEE, CAP, MUG], said) == (
        (CAP, ACME),  # not reserved with a seller at NJ: as said
        (MUG, OTHER),  # not reserved at NJ at all: as said
        (TEE, ACME),  # reserved at NJ as ACME's, whatever the message says
    )
    assert parcel_sellers(reservation, CA, [CAP], {}) == ((CAP, OTHER),)
    assert parcel_sellers(reservation, NJ, [CAP], {}) == ()


def test_the_reservation_document_keeps_the_sellers_and_older_ones_load_without() -> None:
    at = datetime(2026, 12, 3, 12, tzinfo=UTC)
    backorder = Backorder(
        ((TEE, 2),), "US", at, at, "cause", "ord_1", ((TEE, 2, 0),), ((TEE, ACME),)
    )
    reservation = Reservation(
        "ord_1",
        "rsv_1",
        ReservationStatus.PENDING,
        (Allocation(NJ, ((CAP, 1), (TEE, 2)), ((TEE, ACME),)),),
        backorder=backorder,
        market="US",
    )
    document = to_document(reservation)
    assert document["allocations"][0]["lines"] == [
        {"sku": CAP, "units": 1},
        {"sku": TEE, "units": 2, "seller_id": ACME},
    ]
    assert from_document(document) == reservation
    for line in [*document["allocations"][0]["lines"], *document["backorder"]["lines"]]:
        line.pop("seller_id", None)  # as stored before sellers
    older = from_document(document)
    assert older.allocations[0].sellers == ()
    assert older.backorder is not None
    assert older.backorder.sellers == ()


def world() -> Inventory:
    policy = Policy(DEFAULT_WAREHOUSES, unfillable="backorder")
    return Inventory(MemoryStock(), MemoryReservations(), policy)


def accepted(order_id: str, sellers: dict[str, str | None]) -> OrderAccepted:
    """One unit of each SKU, of the seller its line names (None: the line names none)."""
    lines: list[dict[str, Any]] = [
        {
            "sku": sku,
            "quantity": 1,
            "unit_price": {"amount_minor": 999, "currency": "USD"},
            "seller_id": seller,
        }
        for sku, seller in sellers.items()
    ]
    return event(OrderAccepted, order_id, lines=lines)


def told(inventory: Inventory, order_id: str) -> list[Any]:
    assert isinstance(inventory.reservations, MemoryReservations)
    messages = inventory.reservations.outboxes.get(order_id, [])
    return [RESERVATION_EVENTS.validate_json(m.payload) for m in messages]


async def test_stock_reserved_lines_name_the_stocks_seller_else_the_order_lines() -> None:
    inventory = world()
    await inventory.stock.receive(NJ, TEE, 5, "GRN-1", seller_id=ACME)
    await inventory.stock.receive(NJ, CAP, 5, "GRN-2")  # before sellers: the stock knows none
    await inventory.stock.receive(NJ, MUG, 5, "GRN-3")
    # TEE's line names no seller, CAP's does, MUG's neither nor its stock.
    await reserve_stock_on_order_accepted(
        accepted("ord_s1", {TEE: None, CAP: OTHER, MUG: None}), inventory
    )
    [reserved] = told(inventory, "ord_s1")
    assert isinstance(reserved, StockReserved)
    [allocation] = reserved.allocations
    assert [(line.sku, line.seller_id) for line in allocation.lines] == [
        (CAP, OTHER),
        (MUG, None),
        (TEE, ACME),
    ]


async def test_a_backorder_filled_later_keeps_the_sellers_its_lines_named() -> None:
    inventory = world()
    await reserve_stock_on_order_accepted(accepted("ord_s2", {CAP: OTHER}), inventory)
    await inventory.stock.receive(NJ, CAP, 3, "GRN-4")  # no seller on the receipt
    await reserve_stock_on_order_accepted(accepted("ord_s2", {CAP: OTHER}), inventory)
    reserved = [e for e in told(inventory, "ord_s2") if isinstance(e, StockReserved)]
    assert [line.seller_id for line in reserved[0].allocations[0].lines] == [OTHER]


async def test_committed_and_restocked_lines_name_the_sellers_reserved() -> None:
    inventory = world()
    await inventory.stock.receive(NJ, TEE, 5, "GRN-1", seller_id=ACME)
    order_id = "ord_s3"
    await reserve_stock_on_order_accepted(accepted(order_id, {TEE: None}), inventory)
    rid = reservation_id_for(order_id)
    line = {"sku": TEE, "quantity": 1}  # as an older shipping says it: no seller
    dispatched = event(
        ShipmentDispatched, order_id, reservation_id=rid, warehouse_id=NJ, lines=[line]
    )
    await commit_stock_on_shipment_dispatched(dispatched, inventory)
    returned = [{"sku": TEE, "quantity": 1, "condition": "resellable"}]
    inspected = event(ReturnInspected, order_id, warehouse_id=NJ, lines=returned)
    await restock_on_return_inspected(inspected, inventory)
    events = told(inventory, order_id)
    [committed] = [e for e in events if isinstance(e, StockCommitted)]
    [restocked] = [e for e in events if isinstance(e, StockRestocked)]
    assert [(x.sku, x.seller_id) for x in committed.lines] == [(TEE, ACME)]
    assert [(x.sku, x.seller_id) for x in restocked.restocked] == [(TEE, ACME)]


async def test_a_reshipment_reserves_lines_of_the_sellers_its_lines_or_the_stock_name() -> None:
    inventory = world()
    await inventory.stock.receive(NJ, TEE, 5, "GRN-1", seller_id=ACME)
    await inventory.stock.receive(NJ, CAP, 5, "GRN-2")
    await reserve_stock_on_order_accepted(accepted("ord_s4", {TEE: None}), inventory)
    lines = [{"sku": TEE, "quantity": 1}, {"sku": CAP, "quantity": 1, "seller_id": OTHER}]
    approved = event(ReshipmentApproved, "ord_s4", case_id="case_SELLERS01", lines=lines)
    await reserve_stock_on_reshipment_approved(approved, inventory)
    key = reshipment_key(reservation_id_for_case("case_SELLERS01"))
    [reserved] = told(inventory, key)
    assert isinstance(reserved, StockReserved)
    assert [(x.sku, x.seller_id) for x in reserved.allocations[0].lines] == [
        (CAP, OTHER),
        (TEE, ACME),
    ]
