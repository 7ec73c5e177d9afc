"""Builders of valid contract events for the inventory tests (from the contracts' own examples)."""

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from inventory.ports import Topics

TOPICS = Topics(reservations="inventory.reservations.v1", stock="inventory.stock.v1")

E = TypeVar("E", bound=BaseModel)


def event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event for ``order_id``: its schema example with fresh ids and time."""
    example = model.model_json_schema()["examples"][0]
    return model.model_validate(
        example
        | {
            "event_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": order_id,
            "order_id": order_id,
        }
        | fields
    )
