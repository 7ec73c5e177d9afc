"""The orders service's settings: environment variables prefixed `ORDERS_`."""

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from conveyor_runtime.settings import ServiceSettings
from orders.domain.order import OrderStatus
from orders.domain.stuck import WAITING

_HOUR = 3600.0
_DAY = 24 * _HOUR

# How long an order may wait in each status before it counts as stuck. They follow from the
# other services' defaults: inventory answers an accepted order within seconds; shipping books
# a reserved one at once and the booking is only replaced after the 30-minute acceptance
# timeout; carriers collect within their 24-hour pickup window; the standard promise is 5 days
# (express 2) from booking; a failed delivery is retried the next working day; a backorder is
# given up after inventory's 3-day bound; a lost parcel waits for support's decision. Each has
# a grace on top, so an order is only reported once the step it waits for is clearly late.
DEFAULT_STUCK_AFTER_SECONDS: dict[str, float] = {
    "accepted": 15 * 60.0,
    "reserved": 2 * _HOUR,
    "booked": 24 * _HOUR + 4 * _HOUR,
    "picked_up": 5 * _DAY + 1 * _DAY,
    "out_for_delivery": 1 * _DAY,
    "delivery_failed": 3 * _DAY,
    "backordered": 3 * _DAY + 1 * _HOUR,
    "lost": 7 * _DAY,
}


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
