"""Orders in a dict: the repository for fast tests, with the same contract as the Mongo one.

Each write's events go to the order's outbox in a ``MemoryOutboxStore``. Given a relay (the
component tests' app), the repository tells it of each write, and the relay publishes and
removes them as it does Mongo's; without one (unit tests) every event an order emitted stays
in ``outboxes``.
"""

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime

from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Cause, Outlet
from orders.adapters.wire import order_outlet
from orders.domain.events import OrderEvent
from orders.domain.order import Order, OrderStatus
from orders.domain.scorecard import accepted_within, sells_in
from orders.ports import Change


class MemoryOrders:
    def __init__(
        self,
        store: MemoryOutboxStore | None = None,
        relay: OutboxRelay | None = None,
        outlet: Outlet[OrderEvent] | None = None,
    ) -> None:
        self.orders: dict[str, Order] = {}
        self.store = store if store is not None else MemoryOutboxStore()
        self.relay = relay
        self.outlet = outlet or order_outlet()

    @property
    def outboxes(self) -> Mapping[Hashable, list[OutboxMessage]]:
        """Per order, its events not published yet."""
        return self.store.outboxes

    async def add(self, order: Order, events: Sequence[OrderEvent], cause: Cause) -> bool:
        if order.order_id in self.orders:
            return False
        self.orders[order.order_id] = order
        self._emitted(order.order_id, self.outlet.messages(cause, events))
        return True

    async def update(self, order_id: str, change: Change, cause: Cause) -> Order | None:
        if order_id not in self.orders:
            return None
        self.orders[order_id], events = self.outlet.change(cause, change)(self.orders[order_id])
        self._emitted(order_id, events)
        return self.orders[order_id]

    def _emitted(self, order_id: str, events: Sequence[OutboxMessage]) -> None:
        # Stored and announced with no await between: the relay cannot flush in the middle.
        self.store.append(order_id, events)
        if events and self.relay is not None:
            self.relay.notify(order_id)  # it reads the outbox back, as after a sweep

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

    async def of_seller_accepted_between(
        self, seller_id: str, since: datetime, until: datetime
    ) -> list[Order]:
        return [o for o in self.orders.values() if accepted_within(o, seller_id, since, until)]

    async def of_seller_awaiting_pickup(
        self, seller_id: str, due_by: datetime, limit: int | None = None
    ) -> list[Order]:
        found = sorted(
            (
                order
                for order in self.orders.values()
                if sells_in(order, seller_id)
                and order.status.before_pickup
                and order.dispatch_by is not None
                and order.dispatch_by <= due_by
            ),
            key=lambda order: order.dispatch_by or due_by,
        )
        return found[:limit]
