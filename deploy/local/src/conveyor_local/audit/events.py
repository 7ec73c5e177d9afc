"""The events of a run's topics as the checks read them: parsed, each event once."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from conveyor_contracts.orders import OrderStatusChanged
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import ORDER_STATUS
from conveyor_local.audit.read import Snapshot


def topic_events(snapshot: Snapshot, spec: TopicSpec[Any]) -> list[Any]:
    """The topic's events that parse, each event id once (a re-publish repeats it), in offset
    order per partition (so per order); parsed once per snapshot."""
    if spec.name in snapshot.parsed:
        return snapshot.parsed[spec.name]
    seen: set[str] = set()
    events = []
    for record in snapshot.topic(spec.name):
        try:
            event = spec.adapter.validate_json(record.value)
        except ValidationError:
            continue  # not an event of the topic: dead-lettered by its consumers, checked in 7
        if str(event.event_id) not in seen:
            seen.add(str(event.event_id))
            events.append(event)
    snapshot.parsed[spec.name] = events
    return events


def of_kind(events: Iterable[Any], kind: type[BaseModel]) -> list[Any]:
    return [event for event in events if isinstance(event, kind)]


def status_history(snapshot: Snapshot) -> dict[str, list[str]]:
    """Order id -> the public statuses the status topic said, in order."""
    said: dict[str, list[str]] = defaultdict(list)
    for event in of_kind(topic_events(snapshot, ORDER_STATUS), OrderStatusChanged):
        said[event.order_id].append(event.status)
    return said
