"""Builders of valid contract events for the orders tests (from the contracts' own examples)."""

from typing import Any, TypeVar

from pydantic import BaseModel

from conveyor_testkit import from_example
from orders.ports import Topics

TOPICS = Topics(order_lifecycle="orders.lifecycle.v1", order_status="orders.status.v1")

E = TypeVar("E", bound=BaseModel)


def event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event for ``order_id``: its schema example with fresh ids and time."""
    return from_example(model, order_id=order_id, correlation_id=order_id, **fields)
