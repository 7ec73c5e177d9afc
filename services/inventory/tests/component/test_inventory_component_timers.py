"""A backorder's bound, fired by the reservations' timer in the running app: an order left
unfilled is reported short once, in its own trace; one filled in time never is."""

import uuid

import pytest
from inventory_component import SKU, InventoryComponent, accepted, new_order_id

from conveyor_contracts.inventory import StockBackordered, StockReserved, StockShortage
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, ORDER_LIFECYCLE
from conveyor_testkit import wait_for
from inventory.domain.reservation import ReservationStatus
from inventory.settings import InventorySettings

BOUND = 0.2  # seconds a backorder waits here for receipts before it is reported short


@pytest.fixture
def inventory_settings(inventory_settings: InventorySettings) -> InventorySettings:
    return inventory_settings.model_copy(update={"backorder_max_wait_seconds": BOUND})


async def test_a_backorder_left_unfilled_past_its_bound_is_reported_short_once_in_its_trace(
    inventory: InventoryComponent,
) -> None:
    trace_id = uuid.uuid4().hex
    traced = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    order = accepted(new_order_id(), 1)
    await inventory.publish(ORDER_LIFECYCLE, order, headers=traced)
    backordered = await inventory.next_event(INVENTORY_RESERVATIONS)

    told = await inventory.next(INVENTORY_RESERVATIONS)  # the timer's, no message caused it
    await inventory.receive(5)  # stock that would cover it now reserves nothing for it

    shortage = INVENTORY_RESERVATIONS.adapter.validate_json(told.body)
    assert isinstance(backordered, StockBackordered)
    assert isinstance(shortage, StockShortage)
    assert (shortage.causation_id, shortage.correlation_id) == (order.event_id, order.order_id)
    assert [(s.sku, s.requested, s.available) for s in shortage.short_lines] == [(SKU, 1, 0)]
    assert told.headers["traceparent"].split("-")[1] == trace_id
    await inventory.settled()
    assert inventory.waiting(INVENTORY_RESERVATIONS) == 0
    stored = await inventory.deps.reservations.get(order.order_id)
    assert stored is not None
    assert (stored.status, stored.due_at) == (ReservationStatus.SHORT, None)


async def test_a_backorder_filled_before_its_bound_is_never_reported_short(
    inventory: InventoryComponent,
) -> None:
    order_id = new_order_id()
    await inventory.publish(ORDER_LIFECYCLE, accepted(order_id, 1))
    await inventory.next(INVENTORY_RESERVATIONS)  # backordered
    await inventory.receive(1)
    reserved = await inventory.next_event(INVENTORY_RESERVATIONS)

    async def no_deadline_left() -> bool:  # the fill's write took its bound away
        return inventory.deps.timers.due(order_id) is None

    await wait_for(no_deadline_left, within=5, interval=0.01)

    assert isinstance(reserved, StockReserved)
    await inventory.settled()
    assert inventory.waiting(INVENTORY_RESERVATIONS) == 0
