"""What the orders use cases need from the outside world, as Protocols."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order

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


@dataclass(frozen=True)
class Topics:
    """The topics this service publishes to, as resolved for its deployment (prefix included)."""

    order_lifecycle: str
    order_status: str
