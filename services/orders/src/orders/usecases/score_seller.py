"""A seller's scorecard and orders at risk: the store pre-selects, the domain decides."""

from datetime import datetime, timedelta

from conveyor_contracts.business_days import BusinessCalendar
from orders.domain.at_risk import AtRisk, orders_at_risk
from orders.domain.scorecard import WINDOW_DAYS, Scorecard, scorecard
from orders.ports import OrderRepository


async def seller_scorecard(
    orders: OrderRepository, seller_id: str, calendar: BusinessCalendar, now: datetime
) -> Scorecard:
    """The seller's figures over each rolling window ending ``now``."""
    since = now - timedelta(days=max(WINDOW_DAYS))
    found = await orders.of_seller_accepted_between(seller_id, since, now)
    return scorecard(found, seller_id, calendar, now)


async def seller_orders_at_risk(
    orders: OrderRepository, seller_id: str, now: datetime, within: timedelta, limit: int
) -> list[AtRisk]:
    """The seller's orders not dispatched yet whose dispatch-by is within ``within`` of ``now``
    or passed, soonest first, at most ``limit``."""
    found = await orders.of_seller_awaiting_pickup(seller_id, now + within, limit)
    # Re-checked on the domain's rule: the store's query is only a pre-filter.
    return orders_at_risk(found, seller_id, now, within)
