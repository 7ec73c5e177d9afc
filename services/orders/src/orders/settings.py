"""The orders service's settings: environment variables prefixed `ORDERS_`."""

from datetime import date, timedelta
from typing import cast

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from conveyor_contracts.business_days import DEFAULT_HOLIDAYS, BusinessCalendar
from conveyor_contracts.values import Market, ServiceLevel
from conveyor_runtime.settings import ServiceSettings
from orders.domain.order import OrderStatus
from orders.domain.promise import (
    DEFAULT_DELIVERY_WINDOWS,
    DEFAULT_HANDLING_BUSINESS_DAYS,
    PromisePolicy,
)
from orders.domain.stuck import WAITING

_HOUR = 3600.0
_DAY = 24 * _HOUR

# How long an order may wait in each status before it counts as stuck. They follow from the
# other services' defaults: inventory answers an accepted order within seconds; shipping books
# a reserved one at once and the booking is only replaced after the 30-minute acceptance
# timeout; carriers collect within their 24-hour pickup window; the longest promised window is
# 7 business days after dispatch (Canada standard: 11 calendar days over a weekend and a
# holiday); a failed delivery is retried the next working day; a backorder is
# given up after inventory's 3-day bound; a lost parcel waits for support's decision. Each has
# a grace on top, so an order is only reported once the step it waits for is clearly late.
DEFAULT_STUCK_AFTER_SECONDS: dict[str, float] = {
    "accepted": 15 * 60.0,
    "reserved": 2 * _HOUR,
    "booked": 24 * _HOUR + 4 * _HOUR,
    "picked_up": 11 * _DAY + 1 * _DAY,
    "out_for_delivery": 1 * _DAY,
    "delivery_failed": 3 * _DAY,
    "backordered": 3 * _DAY + 1 * _HOUR,
    "lost": 7 * _DAY,
}


def _default_holidays() -> dict[Market, list[date]]:
    return {cast(Market, market): sorted(days) for market, days in DEFAULT_HOLIDAYS.items()}


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", frozen=True, extra="ignore")

    service_name: str = "orders"
    mongo_database: str = "orders"
    http_port: int = 8001
    # JSON in the environment, e.g. {"booked": 7200}; statuses not named keep their default.
    stuck_after_seconds: dict[str, float] = Field(default_factory=dict)
    order_gauges_seconds: float = Field(
        # Two scans of the orders collection on FerretDB (2.5 s each at 8,600 orders, measured):
        # every minute is fresh enough for gauges of orders by state.
        default=60.0,
        gt=0,
        description="How often orders by status and stuck orders are counted for /metrics.",
    )

    # The dispatch-by deadline promised at acceptance: business days after the accepting day.
    handling_business_days: int = Field(default=DEFAULT_HANDLING_BUSINESS_DAYS, ge=0, le=20)
    # JSON, e.g. {"US": {"standard": [2, 6]}}: (fewest, most) business days from dispatch-by to
    # delivery; markets and service levels not named keep their default.
    delivery_windows: dict[Market, dict[ServiceLevel, tuple[int, int]]] = Field(
        default_factory=dict
    )
    # JSON, e.g. {"US": ["2026-11-26"]}: the days off besides weekends, per market (a market
    # named is replaced whole, the others keep the national holidays of 2026-2027).
    holidays: dict[Market, list[date]] = Field(default_factory=_default_holidays)

    @field_validator("delivery_windows")
    @classmethod
    def _windows_in_order(
        cls, value: dict[str, dict[str, tuple[int, int]]]
    ) -> dict[str, dict[str, tuple[int, int]]]:
        wrong = sorted(
            f"{market}/{level}"
            for market, levels in value.items()
            for level, (fewest, most) in levels.items()
            if not 0 <= fewest <= most
        )
        if wrong:
            raise ValueError(f"windows must be 0 <= fewest <= most: {wrong}")
        return value

    def promise_policy(self) -> PromisePolicy:
        """How promises are counted: this calendar, these handling days and windows."""
        windows = {market: dict(levels) for market, levels in DEFAULT_DELIVERY_WINDOWS.items()}
        for market, levels in self.delivery_windows.items():
            for level, days in levels.items():
                windows.setdefault(market, {})[level] = days
        return PromisePolicy(
            BusinessCalendar.of(
                {**DEFAULT_HOLIDAYS, **{str(m): days for m, days in self.holidays.items()}}
            ),
            self.handling_business_days,
            windows,
        )

    @field_validator("stuck_after_seconds")
    @classmethod
    def _waiting_statuses_only(cls, value: dict[str, float]) -> dict[str, float]:
        allowed = {status.label for status in WAITING}
        if unknown := sorted(set(value) - allowed):
            raise ValueError(f"not a waiting status: {unknown}; expected some of {sorted(allowed)}")
        if negative := sorted(label for label, seconds in value.items() if seconds <= 0):
            raise ValueError(f"allowances must be positive: {negative}")
        return value

    def stuck_allowances(self) -> dict[OrderStatus, timedelta]:
        """Per waiting status, how long an order may stay in it (defaults, then overrides)."""
        merged = DEFAULT_STUCK_AFTER_SECONDS | self.stuck_after_seconds
        return {OrderStatus[label.upper()]: timedelta(seconds=s) for label, s in merged.items()}
