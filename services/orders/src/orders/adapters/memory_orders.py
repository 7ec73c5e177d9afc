"""Orders in a dict: the repository for fast tests, with the same contract as the Mongo one."""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order, OrderStatus
from orders.ports import Change


class MemoryOrders:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.outboxes: dict[str, list[OutboxMessage]] = {}

    async def add(self, order: Order, events: Sequence[OutboxMessage]) -> bool:
        if order.order_id in self.orders:
            return False
        self.orders[order.order_id] = order
        self.outboxes[order.order_id] = list(events)
        return True

    async def update(self, order_id: str, change: Change) -> Order | None:
        if order_id not in self.orders:
            return None
        self.orders[order_id], events = change(self.orders[order_id])
        self.outboxes[order_id].extend(events)
        return self.orders[order_id]

    async def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    async def count_by_status(self) -> dict[OrderStatus, int]:
        return dict(Counter(order.status for order in self.orders.values()))

    async def in_status_since_before(
        self, deadlines: Mapping[OrderStatus, datetime], limit: int | None = None
    ) -> list[Order]:
        found = sorted(
            (
                order
                for order in self.orders.values()
                if order.status in deadlines and order.status_since < deadlines[order.status]
            ),
            key=lambda order: order.status_since,
        )
        return found[:limit]
