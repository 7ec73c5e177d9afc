"""What the orders use cases need from the outside world, as Protocols."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order


class OrderRepository(Protocol):
    async def add(self, order: Order, events: Sequence[OutboxMessage]) -> bool:
        """Store a new order and the events it emits atomically; False if the id exists."""
        ...

    async def get(self, order_id: str) -> Order | None: ...


@dataclass(frozen=True)
class Topics:
    """The topics this service publishes to, as resolved for its deployment (prefix included)."""

    order_lifecycle: str
