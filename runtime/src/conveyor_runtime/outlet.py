"""The one way from a service's domain events to the wire.

A use case loads an aggregate, asks the domain what the fact does to it, and saves the result:
the new state and plain domain events (no topic, no envelope, no trace). The repository hands
those events, with the ``Cause`` of the change, to the service's ``Outlet``, which turns each
into its contract event and an outbox message, written in the same single-document update as
the state: the envelope gets an id derived from the cause (a retry re-emits the very same
event), the cause's correlation id and the producer; the message gets its topic, as deployed,
and its key. Each service says once, in its ``adapters/wire.py``, which contract event, topic
and key each of its domain events becomes.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.spec import TopicSpec
from conveyor_runtime.outbox import OutboxMessage, derived_event_id, outbox_message

T = TypeVar("T")
E = TypeVar("E")

# A change to one aggregate: its new state and the domain events it emits (both possibly
# unchanged or empty). Pure: a write that lost a race applies it again to a fresh read.
DomainChange = Callable[[T], tuple[T, Sequence[E]]]
# The same change once its events are outbox messages: what ``OutboxDocuments`` writes.
WiredChange = Callable[[T], tuple[T, list[OutboxMessage]]]


@dataclass(frozen=True)
class Cause:
    """What a change answers: the event (or passed deadline) that caused it, and when.

    ``event_id`` is None when no one event caused the change (a person's action over HTTP, a
    timer's pass over several deadlines): its events carry ids of their own (``Wired.event_id``).
    ``correlation_id`` is None when the changed aggregate's own correlation applies (a timer's
    deadline belongs to no message).
    """

    event_id: uuid.UUID | None
    at: datetime
    correlation_id: str | None = None

    @classmethod
    def of(cls, event: Envelope, at: datetime | None = None) -> "Cause":
        """The cause ``event`` is, handled now (or at ``at``)."""
        return cls(event.event_id, at or datetime.now(UTC), event.correlation_id)


@dataclass(frozen=True)
class Wired:
    """How one domain event goes on the wire: its contract event, topic, key and fields.

    ``name`` tells apart the several events one cause emits in their derived ids (a receipt
    fills several orders: one name per order). ``event_id`` is for an event whose identity is
    the domain's, not its cause's (a case's decision, the same whichever agent's click made
    it); ``caused_by`` for an event that another event of the same change caused.
    """

    event_type: type[Envelope]
    topic: TopicSpec[Any]
    key: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    event_id: uuid.UUID | None = None
    caused_by: uuid.UUID | None = None


class Outlet(Generic[E]):
    """A service's domain events as contract events on its deployed topics."""

    def __init__(self, producer: str, wire: Callable[[E], Wired], topic_prefix: str = "") -> None:
        """``wire`` maps each domain event of the service (its ``adapters/wire.py``);
        ``topic_prefix`` is the deployment's (tests run side by side under their own)."""
        self.producer = producer
        self.wire = wire
        self.topic_prefix = topic_prefix

    def messages(
        self, cause: Cause, events: Iterable[E], correlation_id: str | None = None
    ) -> list[OutboxMessage]:
        """The outbox messages of ``events``; ``correlation_id`` when the cause has none."""
        return [self._message(cause, self.wire(event), correlation_id) for event in events]

    def change(
        self,
        cause: Cause,
        change: DomainChange[T, E],
        correlation_of: Callable[[T], str] | None = None,
    ) -> WiredChange[T]:
        """``change`` with its events as outbox messages, for ``OutboxDocuments``;
        ``correlation_of`` reads the aggregate's correlation when the cause has none."""

        def wired(value: T) -> tuple[T, list[OutboxMessage]]:
            changed, events = change(value)
            if not events:
                return changed, []
            correlation = correlation_of(changed) if correlation_of is not None else None
            return changed, self.messages(cause, events, correlation)

        return wired

    def _message(self, cause: Cause, wired: Wired, correlation_id: str | None) -> OutboxMessage:
        name = wired.name or wired.event_type.__name__
        if wired.event_id is not None:
            event_id = wired.event_id
        elif cause.event_id is not None:
            event_id = derived_event_id(cause.event_id, name)
        else:
            raise ValueError(f"{name} has no cause to derive its id from, nor an id of its own")
        correlation = cause.correlation_id or correlation_id
        if correlation is None:
            raise ValueError(f"{name} has no correlation id: neither its cause nor its aggregate")
        event = wired.event_type(
            event_id=event_id,
            occurred_at=cause.at,
            correlation_id=correlation,
            causation_id=wired.caused_by or cause.event_id,
            producer=self.producer,
            **wired.fields,
        )
        return outbox_message(event, topic=self.topic_prefix + wired.topic.name, key=wired.key)
