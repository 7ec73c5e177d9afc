"""Seller scorecards: how a seller's orders went, over rolling windows, from the facts stored on
each order. Pure functions; the store only pre-selects the seller's orders by acceptance time.

An order counts for every seller with a line in it (lines without a seller count for no one),
in a window when it was accepted within it. An order the carrier failed (a parcel lost or
returned to sender, no carrier to book, or delivered late although dispatched on time) is left
out of every figure: it says nothing about the seller.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from conveyor_contracts.business_days import BusinessCalendar
from orders.domain.order import Order, OrderStatus

LATE_DISPATCH_TARGET = 0.04  # the seller-centre rule: at most 4 % of due orders dispatched late
WINDOW_DAYS = (7, 30)  # rolling windows: [now - days, now]
# Why an order closed that is the seller's doing: the seller's stock was not there.
SELLER_FAULT_REASONS = frozenset({"stock_shortage", "out_of_stock"})
DELIVERED_LATE = "delivered_late"  # a carrier fault found from the dates, not stored
_CLOSED = (OrderStatus.REJECTED, OrderStatus.CANCELLED)
# Statuses only a picked-up order reaches: when it was picked up, for orders stored before the
# parcels kept their pickup scans.
_AFTER_PICKUP = frozenset(
    {
        OrderStatus.PICKED_UP,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERY_FAILED,
        OrderStatus.LOST,
        OrderStatus.DELIVERED,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.RETURNED,
        OrderStatus.RETURNED_TO_SENDER,
    }
)


@dataclass(frozen=True)
class Figure:
    """A count of orders out of those it is taken over; no rate when there are none."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator

    @classmethod
    def of(cls, outcomes: Iterable[bool | None]) -> "Figure":
        """True counts above and below the line, False below only, None not at all."""
        counted = [outcome for outcome in outcomes if outcome is not None]
        return cls(sum(counted), len(counted))


@dataclass(frozen=True)
class Figures:
    """A seller's figures over one window of acceptance times."""

    days: int
    since: datetime
    until: datetime
    orders: int  # the seller's orders accepted in the window
    carrier_fault_excluded: int  # ...of which left out of every figure
    late_dispatch: Figure
    valid_tracking: Figure
    on_time_delivery: Figure
    seller_fault_cancellation: Figure

    @property
    def within_late_dispatch_target(self) -> bool | None:
        """Whether the late dispatch rate is within the target; None with no order due."""
        rate = self.late_dispatch.rate
        return None if rate is None else rate <= LATE_DISPATCH_TARGET


@dataclass(frozen=True)
class Scorecard:
    seller_id: str
    at: datetime
    windows: tuple[Figures, ...]  # one per WINDOW_DAYS, shortest first


def sells_in(order: Order, seller_id: str) -> bool:
    return any(line.seller_id == seller_id for line in order.lines)


def accepted_within(order: Order, seller_id: str, since: datetime, until: datetime) -> bool:
    """Whether the order counts for the seller in the window [since, until]."""
    accepted = order.accepted_at
    return sells_in(order, seller_id) and accepted is not None and since <= accepted <= until


def dispatched_at(order: Order) -> datetime | None:
    """When the order's last own parcel was picked up; None while one is not (or the number of
    parcels is not known yet)."""
    own = [p for p in order.parcels if p.reservation_id in (None, order.reservation_id)]
    pickups = [p.picked_up_at for p in own if p.picked_up_at is not None]
    if order.expected_parcels > 0 and len(pickups) == len(own) >= order.expected_parcels:
        return max(pickups)
    if pickups:
        return None  # some parcels are still to be collected
    return next((c.at for c in order.history if c.status in _AFTER_PICKUP), None)


def delivered_at(order: Order) -> datetime | None:
    """When the order was delivered (older orders: when orders heard of it)."""
    if order.delivered_at is not None:
        return order.delivered_at
    return next((c.at for c in order.history if c.status is OrderStatus.DELIVERED), None)


def closed_at(order: Order) -> datetime | None:
    """When the order was rejected or cancelled, if it was."""
    return next((c.at for c in order.history if c.status in _CLOSED), None)


def late_dispatch(order: Order, now: datetime) -> bool | None:
    """Whether the order was dispatched late (or is still not dispatched past its dispatch-by);
    None when it is not due: no dispatch-by, closed before it, or before it and not dispatched."""
    if order.dispatch_by is None:
        return None
    closed, dispatched = closed_at(order), dispatched_at(order)
    if closed is not None and closed < order.dispatch_by:
        return None
    if dispatched is not None:
        return dispatched > order.dispatch_by
    return True if now > order.dispatch_by else None


def valid_tracking(order: Order) -> bool | None:
    """Whether every own parcel of a dispatched order has a tracking number the carrier scanned;
    None when the order is not dispatched."""
    if dispatched_at(order) is None:
        return None
    own = [p for p in order.parcels if p.reservation_id in (None, order.reservation_id)]
    return bool(own) and all(
        p.tracking_number is not None and p.scanned_tracking == p.tracking_number for p in own
    )


def on_time_delivery(order: Order, calendar: BusinessCalendar) -> bool | None:
    """Whether a delivered order with a promise was delivered by the promised window's last day
    (the market's date); None for any other order."""
    delivered, promise = delivered_at(order), order.promised_delivery
    if delivered is None or promise is None:
        return None
    return calendar.local_date(order.market, delivered) <= promise.latest


def seller_fault_cancellation(order: Order) -> bool:
    """Whether the order was rejected or cancelled because the seller's stock was not there."""
    return order.status in _CLOSED and order.closed_reason in SELLER_FAULT_REASONS


def carrier_fault(order: Order, calendar: BusinessCalendar) -> str | None:
    """The carrier's failure that leaves the order out of the seller's figures, if any."""
    if order.carrier_fault is not None:
        return order.carrier_fault
    if on_time_delivery(order, calendar) is False and dispatched_on_time(order):
        return DELIVERED_LATE  # the delay is the carrier's
    return None


def dispatched_on_time(order: Order) -> bool:
    """Whether the order was dispatched by its dispatch-by."""
    dispatched, due = dispatched_at(order), order.dispatch_by
    return dispatched is not None and due is not None and dispatched <= due


def figures(
    orders: Iterable[Order],
    seller_id: str,
    calendar: BusinessCalendar,
    now: datetime,
    days: int,
) -> Figures:
    """The seller's figures over the orders accepted in [now - days, now]."""
    since = now - timedelta(days=days)
    inside = [order for order in orders if accepted_within(order, seller_id, since, now)]
    counted = [order for order in inside if carrier_fault(order, calendar) is None]
    return Figures(
        days=days,
        since=since,
        until=now,
        orders=len(inside),
        carrier_fault_excluded=len(inside) - len(counted),
        late_dispatch=Figure.of(late_dispatch(order, now) for order in counted),
        valid_tracking=Figure.of(valid_tracking(order) for order in counted),
        on_time_delivery=Figure.of(on_time_delivery(order, calendar) for order in counted),
        seller_fault_cancellation=Figure.of(seller_fault_cancellation(o) for o in counted),
    )


def scorecard(
    orders: Iterable[Order], seller_id: str, calendar: BusinessCalendar, now: datetime
) -> Scorecard:
    """The seller's figures over each rolling window ending ``now``."""
    found = list(orders)
    windows = tuple(figures(found, seller_id, calendar, now, days) for days in WINDOW_DAYS)
    return Scorecard(seller_id, now, windows)
