"""What the orders use cases need from the outside world, as Protocols."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from conveyor_runtime.outlet import Cause, DomainChange
from orders.domain.events import OrderEvent
from orders.domain.order import Order, OrderStatus

# A change to one order: the new order and the domain events it emits (possibly none).
Change = DomainChange[Order, OrderEvent]


class OrderRepository(Protocol):
    async def add(self, order: Order, events: Sequence[OrderEvent], cause: Cause) -> bool:
        """Store a new order and the events ``cause`` made it emit, atomically; False if the
        id exists."""
        ...

    async def update(self, order_id: str, change: Change, cause: Cause) -> Order | None:
        """Apply ``change``, made by ``cause``, atomically with its events; None when there is
        no such order."""
        ...

    async def get(self, order_id: str) -> Order | None: ...

    async def count_by_status(self) -> dict[OrderStatus, int]:
        """How many orders are in each status (statuses without orders may be left out)."""
        ...

    async def in_status_since_before(
        self, deadlines: Mapping[OrderStatus, datetime], limit: int | None = None
    ) -> list[Order]:
        """Orders whose status is a key of ``deadlines`` and was reached before its value,
        longest waiting first, at most ``limit``."""
        ...

    async def of_seller_accepted_between(
        self, seller_id: str, since: datetime, until: datetime
    ) -> list[Order]:
        """Orders with a line of ``seller_id``, accepted in [since, until]."""
        ...

    async def of_seller_awaiting_pickup(
        self, seller_id: str, due_by: datetime, limit: int | None = None
    ) -> list[Order]:
        """Orders with a line of ``seller_id``, not picked up yet, whose dispatch-by is at or
        before ``due_by``, soonest first, at most ``limit``."""
        ...
