"""Stock is a seller's, as the topics tell it: a receipt records whose goods a SKU is, every level
and every reserved line names the seller, and a receipt of another seller is parked unapplied."""

from inventory_component import (
    SELLER,
    SKU,
    WAREHOUSE,
    InventoryComponent,
    accepted,
    goods_received,
    new_order_id,
)

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.stock import StockLevelChanged
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    INVENTORY_STOCK,
    ORDER_LIFECYCLE,
    WAREHOUSE_RECEIPTS,
)

OTHER = "sel_OTHER0002"


async def test_a_receipt_with_a_seller_is_told_as_levels_of_that_sellers_stock(
    inventory: InventoryComponent,
) -> None:
    receipt = goods_received(4)
    assert receipt.seller_id == SELLER

    await inventory.publish(WAREHOUSE_RECEIPTS, receipt)

    [level] = await inventory.taken(INVENTORY_STOCK)
    assert isinstance(level, StockLevelChanged)
    assert (level.cause, level.on_hand, level.seller_id) == ("goods_received", 4, SELLER)


async def test_an_order_whose_lines_name_sellers_is_reserved_in_lines_that_name_them(
    inventory: InventoryComponent,
) -> None:
    cap = "CAP-RED-L"
    await inventory.publish(WAREHOUSE_RECEIPTS, goods_received(3))  # SELLER's TEE stock
    unsold = goods_received(3, sku=cap).model_copy(update={"seller_id": None})
    await inventory.publish(WAREHOUSE_RECEIPTS, unsold)  # stock received before sellers
    order = accepted(new_order_id(), 1)
    price = order.lines[0].unit_price
    lines = [
        order.lines[0].model_copy(update={"seller_id": None}),  # the stock says whose
        order.lines[0].model_copy(update={"sku": cap, "seller_id": OTHER, "unit_price": price}),
    ]
    order = OrderAccepted.model_validate(order.model_dump() | {"lines": lines})

    await inventory.publish(ORDER_LIFECYCLE, order)

    reserved = await inventory.next_event(INVENTORY_RESERVATIONS)
    assert isinstance(reserved, StockReserved)
    assert [
        (allocation.warehouse_id, [(line.sku, line.seller_id) for line in allocation.lines])
        for allocation in reserved.allocations
    ] == [(WAREHOUSE, [(cap, OTHER), (SKU, SELLER)])]


async def test_a_receipt_of_another_seller_for_the_stock_is_parked_and_changes_nothing(
    inventory: InventoryComponent,
) -> None:
    await inventory.publish(WAREHOUSE_RECEIPTS, goods_received(4))
    conflicting = goods_received(6).model_copy(update={"seller_id": OTHER})

    await inventory.publish(WAREHOUSE_RECEIPTS, conflicting)

    parked = await inventory.next(WAREHOUSE_RECEIPTS, dead_letter=True)
    assert parked.headers["x-dlq-reason"] == (
        f"PermanentError: receipt {conflicting.receipt_ref}: "
        f"{SKU} in {WAREHOUSE} belongs to {SELLER}, not to {OTHER}"
    )
    assert WAREHOUSE_RECEIPTS.adapter.validate_json(parked.body) == conflicting
    levels = await inventory.taken(INVENTORY_STOCK)
    assert [
        (told.on_hand, told.seller_id) for told in levels if isinstance(told, StockLevelChanged)
    ] == [(4, SELLER)]
