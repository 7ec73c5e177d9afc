"""What an order is promised at acceptance: a dispatch-by deadline and a delivery window, both
counted in business days of the market's calendar. Set once, never moved."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from conveyor_contracts.business_days import BusinessCalendar

# (fewest, most) business days from the dispatch-by day to delivery, per market and service level.
DEFAULT_DELIVERY_WINDOWS: Mapping[str, Mapping[str, tuple[int, int]]] = MappingProxyType(
    {
        "US": MappingProxyType({"standard": (2, 5), "express": (1, 2)}),
        "CA": MappingProxyType({"standard": (3, 7), "express": (1, 3)}),
        "GB": MappingProxyType({"standard": (1, 3), "express": (1, 1)}),
    }
)
DEFAULT_HANDLING_BUSINESS_DAYS = 2  # the seller-centre rule: dispatch within two business days


@dataclass(frozen=True)
class Window:
    """The days, in the market's calendar, between which delivery was promised."""

    earliest: date
    latest: date


@dataclass(frozen=True)
class Promise:
    dispatch_by: datetime  # UTC: the end of the last handling business day in the market
    delivery: Window


@dataclass(frozen=True)
class PromisePolicy:
    """How promises are counted: the calendar, the handling days and the delivery windows."""

    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    handling_days: int = DEFAULT_HANDLING_BUSINESS_DAYS
    windows: Mapping[str, Mapping[str, tuple[int, int]]] = field(
        default_factory=lambda: DEFAULT_DELIVERY_WINDOWS
    )


def promise_for(
    policy: PromisePolicy, market: str, service_level: str, accepted_at: datetime
) -> Promise | None:
    """The promise of an order accepted at ``accepted_at``; None when the market or its service
    level has no delivery window configured."""
    window = policy.windows.get(market, {}).get(service_level)
    if window is None:
        return None
    calendar = policy.calendar
    accepted_on = calendar.local_date(market, accepted_at)
    dispatch_day = calendar.add(market, accepted_on, policy.handling_days)
    fewest, most = window
    return Promise(
        dispatch_by=calendar.end_of_day(market, dispatch_day),
        delivery=Window(
            earliest=calendar.add(market, dispatch_day, fewest),
            latest=calendar.add(market, dispatch_day, most),
        ),
    )
