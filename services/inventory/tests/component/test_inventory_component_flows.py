"""Journeys of an order's stock through inventory's topics, as orders, shipping and the
warehouses see them: reserved, backordered then filled, released, committed."""

import uuid

from inventory_component import (
    SKU,
    WAREHOUSE,
    InventoryComponent,
    accepted,
    event,
    goods_received,
    new_order_id,
)

from conveyor_contracts.inventory import (
    StockBackordered,
    StockCommitted,
    StockReleased,
    StockReserved,
)
from conveyor_contracts.orders import OrderCancelled
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from conveyor_contracts.stock import StockLevelChanged
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    INVENTORY_STOCK,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    WAREHOUSE_RECEIPTS,
)


def levels(events: list[object]) -> list[tuple[str, str, int, int, int]]:
    """The stock level changes among ``events``: (cause, warehouse, on hand, reserved,
    available)."""
    return [
        (told.cause, told.warehouse_id, told.on_hand, told.reserved, told.available)
        for told in events
        if isinstance(told, StockLevelChanged)
    ]


async def test_an_accepted_order_in_stock_is_reserved_where_the_stock_is_and_told_to_orders(
    inventory: InventoryComponent,
) -> None:
    await inventory.receive(5)
    order = accepted(new_order_id(), 2)

    await inventory.publish(ORDER_LIFECYCLE, order)

    reserved = await inventory.next_event(INVENTORY_RESERVATIONS)
    assert isinstance(reserved, StockReserved)
    assert (reserved.causation_id, reserved.correlation_id) == (order.event_id, order.order_id)
    assert [
        (allocation.warehouse_id, [(line.sku, line.quantity) for line in allocation.lines])
        for allocation in reserved.allocations
    ] == [(WAREHOUSE, [(SKU, 2)])]
    assert levels(await inventory.taken(INVENTORY_STOCK)) == [
        ("goods_received", WAREHOUSE, 5, 0, 5),
        ("reserved", WAREHOUSE, 5, 2, 3),
    ]
    assert inventory.waiting(INVENTORY_RESERVATIONS) == 0  # told once
    assert await inventory.deps.reservations_relay.store.pending(order.order_id) == []


async def test_an_unfillable_order_is_backordered_then_reserved_by_the_receipt_that_covers_it(
    inventory: InventoryComponent,
) -> None:
    order = accepted(new_order_id(), 3)
    await inventory.publish(ORDER_LIFECYCLE, order)
    backordered = await inventory.next_event(INVENTORY_RESERVATIONS)
    await inventory.receive(2, warehouse_id="WH-US-CA1")  # not enough yet
    await inventory.settled()
    waiting_after_too_little = inventory.waiting(INVENTORY_RESERVATIONS)
    covering = goods_received(1, at="WH-US-CA1")
    await inventory.publish(WAREHOUSE_RECEIPTS, covering)
    reserved = await inventory.next_event(INVENTORY_RESERVATIONS)

    assert isinstance(backordered, StockBackordered)
    assert [(s.sku, s.requested, s.available) for s in backordered.short_lines] == [(SKU, 3, 0)]
    assert backordered.expected_by is not None
    assert waiting_after_too_little == 0
    assert isinstance(reserved, StockReserved)
    assert (reserved.causation_id, reserved.correlation_id) == (covering.event_id, order.order_id)
    assert [(a.warehouse_id, a.lines[0].quantity) for a in reserved.allocations] == [
        ("WH-US-CA1", 3)
    ]
    await inventory.publish(WAREHOUSE_RECEIPTS, covering)  # redelivered: it fills nothing twice
    assert levels(await inventory.taken(INVENTORY_STOCK))[-1] == (
        "reserved",
        "WH-US-CA1",
        3,
        3,
        0,
    )
    assert inventory.waiting(INVENTORY_RESERVATIONS) == 0


async def test_a_cancelled_order_gives_its_stock_back_once(inventory: InventoryComponent) -> None:
    order, reserved = await inventory.reserve(2)
    cancelled = event(OrderCancelled, order.order_id)

    await inventory.publish(ORDER_LIFECYCLE, cancelled)
    released = await inventory.next_event(INVENTORY_RESERVATIONS)
    await inventory.publish(ORDER_LIFECYCLE, cancelled)  # redelivered

    assert isinstance(released, StockReleased)
    assert (released.reservation_id, released.reason) == (
        reserved.reservation_id,
        "order_cancelled",
    )
    assert released.causation_id == cancelled.event_id
    assert levels(await inventory.taken(INVENTORY_STOCK))[-1] == (
        "released",
        WAREHOUSE,
        2,
        0,
        2,
    )
    assert inventory.waiting(INVENTORY_RESERVATIONS) == 0


async def test_a_dispatched_parcel_takes_its_held_units_off_the_shelf_once(
    inventory: InventoryComponent,
) -> None:
    order, reserved = await inventory.reserve(2)
    dispatched = event(
        ShipmentDispatched,
        order.order_id,
        reservation_id=reserved.reservation_id,
        warehouse_id=WAREHOUSE,
        lines=[{"sku": SKU, "quantity": 2}],
    )

    await inventory.publish(SHIPPING_SHIPMENTS, dispatched)
    committed = await inventory.next_event(INVENTORY_RESERVATIONS)
    await inventory.publish(SHIPPING_SHIPMENTS, dispatched)  # redelivered
    await inventory.publish(ORDER_LIFECYCLE, event(OrderCancelled, order.order_id))  # too late

    assert isinstance(committed, StockCommitted)
    assert (committed.shipment_id, committed.warehouse_id, committed.causation_id) == (
        dispatched.shipment_id,
        WAREHOUSE,
        dispatched.event_id,
    )
    assert levels(await inventory.taken(INVENTORY_STOCK))[-1] == ("committed", WAREHOUSE, 0, 0, 0)
    # Nothing is held any more, so the late cancellation releases nothing either.
    assert inventory.waiting(INVENTORY_RESERVATIONS) == 0


async def test_what_an_accepted_order_causes_continues_the_trace_of_orders_message(
    inventory: InventoryComponent,
) -> None:
    trace_id = uuid.uuid4().hex
    traced = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    await inventory.receive(5)

    await inventory.publish(ORDER_LIFECYCLE, accepted(new_order_id(), 2), headers=traced)

    reserved = await inventory.next(INVENTORY_RESERVATIONS)
    assert reserved.headers["traceparent"].split("-")[1] == trace_id
