"""What a service's consumer is given: a ``Route`` per topic it reads, how it retries a failed
message (``RetryPolicy``) and how much it takes at once (``BatchPolicy``); and ``Record``, the
Kafka record its messages arrive as (see ``conveyor_runtime.consumer``).
"""

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from aiokafka import ConsumerRecord
from pydantic import TypeAdapter

M = TypeVar("M")
Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts; ``max_unknown_attempts`` bounds retries of unexpected errors,
    ``max_conflict_attempts`` those of a message whose writes keep finding the document changed
    by another process (a livelock between instances must not stall its partition forever)."""

    first_delay: float = 0.2
    max_delay: float = 10.0
    max_unknown_attempts: int = 5
    max_conflict_attempts: int = 20

    def delay(self, attempt: int) -> float:
        # Full jitter keeps a fleet of consumers from retrying a recovering database in lockstep.
        return random.uniform(0, min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class BatchPolicy:
    """How much one poll takes and how many keys are handled at once.

    Attributes:
        max_records: The most messages one batch holds.
        max_wait_ms: How long a poll waits when the broker has nothing; a batch never waits to
            fill, it takes what is there.
        concurrency: Keys handled at the same time; bounds the database operations in flight.
    """

    max_records: int = 500
    max_wait_ms: int = 10
    concurrency: int = 32


@dataclass(frozen=True)
class Route(Generic[M]):
    """What a consumer does with one topic's messages.

    Attributes:
        topic: The topic, as resolved by the service's settings.
        dead_letter_topic: Where its unprocessable messages are parked, reason in headers.
        adapter: Parses the bytes into the topic's event union; failures dead-letter.
        handle: The use case to run; idempotent, since messages can arrive twice.
        order_id_of: The order id of an event, for log lines and spans, when it has one.
    """

    topic: str
    dead_letter_topic: str
    adapter: TypeAdapter[M]
    handle: Callable[[M], Awaitable[None]]
    order_id_of: Callable[[M], str | None] = lambda _: None
