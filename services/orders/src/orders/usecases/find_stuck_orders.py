"""Find the orders that have waited in their status longer than it allows."""

from collections import Counter
from datetime import datetime

from orders.domain.order import OrderStatus
from orders.domain.stuck import Allowances, StuckOrder, deadlines, stuck
from orders.ports import OrderRepository


async def find_stuck_orders(
    orders: OrderRepository, allowances: Allowances, now: datetime, limit: int | None = None
) -> list[StuckOrder]:
    """The stuck orders, longest waiting first, at most ``limit``."""
    found = await orders.in_status_since_before(deadlines(allowances, now), limit)
    # Re-checked on the domain's rule: the store's query is only a pre-filter.
    return [item for order in found if (item := stuck(order, allowances, now)) is not None]


async def count_stuck_orders(
    orders: OrderRepository, allowances: Allowances, now: datetime
) -> dict[OrderStatus, int]:
    """How many orders are stuck in each waiting status that has an allowance (zeros included)."""
    counts = Counter(item.status for item in await find_stuck_orders(orders, allowances, now))
    return {status: counts[status] for status in deadlines(allowances, now)}
