"""The order aggregate: what the orders service knows about an order, and how its status moves."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class OrderStatus(StrEnum):
    """Where an order is in its life. The order of the members is the order of progress."""

    ACCEPTED = "accepted"


@dataclass(frozen=True)
class StatusChange:
    """One dated entry of an order's history, with the event that caused it."""

    status: OrderStatus
    at: datetime
    event_id: UUID


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class Order:
    """An order as accepted from the checkout; changed only through the repository's ``update``."""

    order_id: str
    market: str
    currency: str
    lines: tuple[OrderLine, ...]
    status: OrderStatus
    history: tuple[StatusChange, ...]
    placed_event_id: UUID
