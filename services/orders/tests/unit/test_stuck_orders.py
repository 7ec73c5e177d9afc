"""Stuck orders: per-status allowances, the listing's rule, the gauges, and the settings."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from orders_testkit import event
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from conveyor_contracts.checkout import OrderPlaced
from orders.adapters.memory_orders import MemoryOrders
from orders.domain.order import Order, OrderStatus, StatusChange, moved_to
from orders.entrypoints.gauges import OrderGauges
from orders.settings import OrdersSettings
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed
from orders.usecases.find_stuck_orders import find_stuck_orders

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ALLOWANCES = {OrderStatus.ACCEPTED: timedelta(minutes=15), OrderStatus.BOOKED: timedelta(hours=28)}


async def stored(orders: MemoryOrders, status: OrderStatus, since: datetime) -> Order:
    """An order placed and accepted at ``since`` and moved to ``status`` at that instant."""
    placed = event(OrderPlaced, f"ord_{uuid.uuid4().hex[:12]}")
    await accept_order_on_order_placed(placed, orders)
    accepted = orders.orders[placed.order_id]
    accepted = replace(accepted, history=(StatusChange(accepted.status, since, placed.event_id),))
    orders.orders[placed.order_id] = moved_to(accepted, status, since, uuid.uuid4())
    return orders.orders[placed.order_id]


async def test_only_orders_past_their_status_allowance_are_stuck_longest_waiting_first() -> None:
    orders = MemoryOrders()
    late = await stored(orders, OrderStatus.ACCEPTED, NOW - timedelta(minutes=16))
    later = await stored(orders, OrderStatus.BOOKED, NOW - timedelta(hours=30))
    await stored(orders, OrderStatus.ACCEPTED, NOW - timedelta(minutes=14))  # within allowance
    await stored(orders, OrderStatus.RESERVED, NOW - timedelta(days=9))  # no allowance given
    await stored(orders, OrderStatus.DELIVERED, NOW - timedelta(days=30))  # final

    found = await find_stuck_orders(orders, ALLOWANCES, NOW)

    assert [(item.order_id, item.status) for item in found] == [
        (later.order_id, OrderStatus.BOOKED),
        (late.order_id, OrderStatus.ACCEPTED),
    ]
    assert found[1].since == NOW - timedelta(minutes=16)
    assert found[1].allowed == timedelta(minutes=15)
    assert [item.order_id for item in await find_stuck_orders(orders, ALLOWANCES, NOW, 1)] == [
        later.order_id
    ]


async def test_the_gauges_count_orders_by_state_and_stuck_orders_with_zeros() -> None:
    orders = MemoryOrders()
    await stored(orders, OrderStatus.ACCEPTED, NOW - timedelta(hours=1))
    await stored(orders, OrderStatus.ACCEPTED, NOW - timedelta(minutes=1))
    await stored(orders, OrderStatus.DELIVERED, NOW - timedelta(days=1))
    registry = CollectorRegistry()
    gauges = OrderGauges(orders, ALLOWANCES, registry, clock=lambda: NOW)

    await gauges.refresh()

    def value(name: str, state: str) -> float | None:
        return registry.get_sample_value(name, {"state": state})

    assert value("conveyor_orders_by_state", "accepted") == 2
    assert value("conveyor_orders_by_state", "delivered") == 1
    assert value("conveyor_orders_by_state", "cancelled") == 0
    assert value("conveyor_orders_stuck", "accepted") == 1
    assert value("conveyor_orders_stuck", "booked") == 0


def test_allowances_default_per_waiting_status_and_can_be_overridden() -> None:
    allowances = OrdersSettings(stuck_after_seconds={"booked": 60}).stuck_allowances()
    assert allowances[OrderStatus.BOOKED] == timedelta(seconds=60)
    assert allowances[OrderStatus.ACCEPTED] == timedelta(minutes=15)
    assert allowances[OrderStatus.BACKORDERED] > timedelta(days=3)  # past inventory's bound
    assert not any(status.is_final for status in allowances)


@pytest.mark.parametrize("wrong", [{"delivered": 60}, {"shipped": 60}, {"booked": 0}])
def test_allowances_name_waiting_statuses_with_positive_seconds(wrong: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        OrdersSettings(stuck_after_seconds=wrong)
