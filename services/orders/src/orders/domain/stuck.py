"""Stuck orders: orders that stayed in a status longer than that status allows.

Every status before delivery is a wait for another service or a carrier; each gets an
allowance after which the order is reported (gauge ``conveyor_orders_stuck`` and
``GET /stuck-orders``) for a person to look at. Final statuses never get stuck.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from orders.domain.order import Order, OrderStatus

Allowances = Mapping[OrderStatus, timedelta]

# Statuses an order waits in for someone else's next fact.
WAITING = tuple(status for status in OrderStatus if not status.is_final)


@dataclass(frozen=True)
class StuckOrder:
    """An order past its status's allowance; ids and times only, nothing personal."""

    order_id: str
    status: OrderStatus
    since: datetime
    allowed: timedelta
    trace_id: str | None


def deadlines(allowances: Allowances, now: datetime) -> dict[OrderStatus, datetime]:
    """Per waiting status, the instant before which reaching it means being stuck now."""
    return {status: now - allowed for status, allowed in allowances.items() if status in WAITING}


def stuck(order: Order, allowances: Allowances, now: datetime) -> StuckOrder | None:
    """``order`` as a stuck order, when its status has lasted longer than allowed."""
    allowed = allowances.get(order.status)
    if allowed is None or order.status.is_final or now - order.status_since <= allowed:
        return None
    return StuckOrder(order.order_id, order.status, order.status_since, allowed, order.trace_id)
