"""Builders of valid contract events for the inventory tests (from the contracts' own examples)."""

from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from conveyor_contracts.topics import INVENTORY_RESERVATIONS, INVENTORY_STOCK
from conveyor_testkit import from_example


class _Topics(NamedTuple):
    reservations: str
    stock: str


# Where the use cases' events go with no deployment prefix (the stores' default outlet).
TOPICS = _Topics(INVENTORY_RESERVATIONS.name, INVENTORY_STOCK.name)

E = TypeVar("E", bound=BaseModel)


def event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event for ``order_id``: its schema example with fresh ids and time."""
    return from_example(model, order_id=order_id, correlation_id=order_id, **fields)
