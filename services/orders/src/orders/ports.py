"""What the orders use cases need from the outside world, as Protocols."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order, OrderStatus

# A change to one order: the new order and the events it emits (both possibly unchanged/empty).
Change = Callable[[Order], tuple[Order, list[OutboxMessage]]]


class OrderRepository(Protocol):
    async def add(self, order: Order, events: Sequence[OutboxMessage]) -> bool:
        """Store a new order and the events it emits atomically; False if the id exists."""
        ...

    async def update(self, order_id: str, change: Change) -> Order | None:
        """Apply ``change`` atomically with its events; None when there is no such order."""
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


@dataclass(frozen=True)
class Topics:
    """The topics this service publishes to, as resolved for its deployment (prefix included)."""

    order_lifecycle: str
    order_status: str
