"""A seller's orders at risk of missing their dispatch-by: not dispatched yet, the deadline
within the hours asked or already passed. Ids, statuses and times only, nothing of the buyer."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from orders.domain.order import Order, OrderStatus
from orders.domain.scorecard import sells_in


@dataclass(frozen=True)
class AtRisk:
    order_id: str
    dispatch_by: datetime
    status: OrderStatus
    hours_left: float  # negative once the dispatch-by has passed


def at_risk(order: Order, now: datetime, within: timedelta) -> AtRisk | None:
    """``order`` at risk, when it is still to be picked up and its dispatch-by is no later than
    ``within`` from ``now`` (or passed); None otherwise (dispatched, closed, no dispatch-by)."""
    due = order.dispatch_by
    if due is None or not order.status.before_pickup or due - now > within:
        return None
    hours_left = round((due - now).total_seconds() / 3600, 2)
    return AtRisk(order.order_id, due, order.status, hours_left)


def orders_at_risk(
    orders: Iterable[Order], seller_id: str, now: datetime, within: timedelta
) -> list[AtRisk]:
    """The seller's orders at risk, soonest dispatch-by first."""
    found = (at_risk(order, now, within) for order in orders if sells_in(order, seller_id))
    return sorted((item for item in found if item is not None), key=lambda item: item.dispatch_by)
