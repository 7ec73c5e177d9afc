"""Orders' gauges, counted from the database: orders by status, stuck orders by status.

Counted from the stored orders rather than from the events handled, so a redelivered message,
a restart or a second instance never skews them.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Gauge

from orders.domain.order import OrderStatus
from orders.domain.stuck import Allowances
from orders.ports import OrderRepository
from orders.usecases.find_stuck_orders import count_stuck_orders

log = logging.getLogger(__name__)


class OrderGauges:
    """A worker setting ``conveyor_orders_by_state`` and ``conveyor_orders_stuck``."""

    def __init__(
        self,
        orders: OrderRepository,
        allowances: Allowances,
        registry: CollectorRegistry,
        *,
        interval_seconds: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.orders = orders
        self.allowances = allowances
        self.interval_seconds = interval_seconds
        self.clock = clock
        self.by_state = Gauge(
            "conveyor_orders_by_state",
            "Orders in each status, as stored.",
            ("state",),
            registry=registry,
        )
        self.stuck = Gauge(
            "conveyor_orders_stuck",
            "Orders waiting in a status for longer than it allows (see GET /stuck-orders).",
            ("state",),
            registry=registry,
        )

    async def refresh(self) -> None:
        """Count once and set both gauges; every status is set, zero when it has no order."""
        by_status = await self.orders.count_by_status()
        for status in OrderStatus:
            self.by_state.labels(status.label).set(by_status.get(status, 0))
        for status, count in (
            await count_stuck_orders(self.orders, self.allowances, self.clock())
        ).items():
            self.stuck.labels(status.label).set(count)

    async def run(self) -> None:
        """Refresh until cancelled; failures are logged and retried at the next pass."""
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("counting orders failed; retrying at the next pass")
            await asyncio.sleep(self.interval_seconds)
