"""Valid contract messages made from their schema's examples, and reading what a topic got."""

import asyncio
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def from_example(model: type[M], **fields: Any) -> M:
    """A valid ``model`` message: its schema's first example, with a fresh event id and time,
    and ``fields`` replacing whatever the test cares about."""
    fresh = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat()}
    return model.model_validate(_first_example(model) | fresh | fields)


@cache
def _first_example(model: type[BaseModel]) -> dict[str, Any]:
    # Building a model's JSON Schema takes milliseconds: property tests make thousands of events.
    example: dict[str, Any] = model.model_json_schema()["examples"][0]
    return example


def collect(
    client: KafkaBroker, topics: Iterable[str], *, group: str
) -> asyncio.Queue[KafkaMessage]:
    """Every message of ``topics``, as received (bytes, key, headers), in a queue.

    One consumer reads them all: a consumer per topic in one group would rebalance the group at
    each member's join, a heartbeat apart. Register before ``client`` starts.
    """
    received: asyncio.Queue[KafkaMessage] = asyncio.Queue()

    async def raw(message: Any) -> Any:
        return message.body

    @client.subscriber(
        *topics, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.ACK, decoder=raw
    )
    async def on_message(body: bytes, message: KafkaMessage) -> None:
        await received.put(message)

    return received
