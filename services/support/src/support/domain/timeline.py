"""An order's timeline: every fact support heard about the order, in causal order. Pure data.

Entries carry only non-personal key facts: fields the contracts mark as personal data
(addresses, names, phones, buyer ids, free text) never reach an entry, so a timeline can be shown
to agents, logged about and rebuilt without thinking about privacy again.
"""

import heapq
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.privacy import personal_data_paths

# Envelope fields are entry columns of their own (or the document's key), not facts.
_ENVELOPE = frozenset(
    {"event_id", "event_type", "occurred_at", "correlation_id", "causation_id", "producer",
     "order_id"}
)  # fmt: skip
# Free text written by people or carriers: not marked personal everywhere, but it can hold
# anything, so the timeline never carries it.
_FREE_TEXT = frozenset({"detail", "summary", "remark", "note", "notes", "comment"})

# The event that makes a timeline forget its buyer.
ERASURE_REQUESTED = PersonalDataErasureRequested.__name__

Fact = str | int | bool | None | dict[str, str | int | bool | None]


@dataclass(frozen=True)
class Entry:
    """One event of the order, as the timeline shows it."""

    event_id: str
    event_type: str
    occurred_at: datetime
    service: str  # the envelope's producer
    topic: str  # registry name, without any deployment prefix
    facts: dict[str, Fact]
    trace_id: str | None = None
    causation_id: str | None = None


@dataclass(frozen=True)
class Timeline:
    """One order's entries, kept in causal order. ``buyer_id`` is personal: it decides who may
    read the order and is never shown in an entry."""

    order_id: str
    correlation_id: str
    entries: tuple[Entry, ...] = ()
    buyer_id: str | None = None

    def has(self, event_id: str) -> bool:
        return any(entry.event_id == event_id for entry in self.entries)

    def with_entry(self, entry: Entry, *, buyer_id: str | None = None) -> "Timeline":
        """This timeline with ``entry`` in its place; unchanged if the event is already in it.

        Once the buyer asked for their data to be erased, the timeline forgets who they are,
        whatever the order its events arrive in (or a rebuild reads them in).
        """
        if self.has(entry.event_id):
            return self
        entries = causal_order((*self.entries, entry))
        forgotten = any(e.event_type == ERASURE_REQUESTED for e in entries)
        return replace(
            self, entries=entries, buyer_id=None if forgotten else self.buyer_id or buyer_id
        )


def causal_order(entries: tuple[Entry, ...] | list[Entry]) -> tuple[Entry, ...]:
    """Entries sorted by (occurred_at, event_id), except that an entry whose cause is also in the
    timeline comes after that cause, whatever the clocks said.

    The result depends only on the set of entries, never on the order they arrived in: a
    rebuild that reads the topics in another interleaving produces the same timeline.
    """
    by_id = {entry.event_id: entry for entry in entries}
    effects = _effects_within(by_id)
    # An entry's state while ordering; an entry without a cause in the timeline has none.
    state = {effect.event_id: _BLOCKED for caused in effects.values() for effect in caused}
    ready = [_sort_key(entry) for entry in by_id.values() if entry.event_id not in state]
    heapq.heapify(ready)
    ordered: list[Entry] = []
    while len(ordered) < len(by_id):
        if not ready:  # a causation cycle (bad data): release the earliest blocked entry
            _release(_earliest_unreleased(by_id, state), state, ready)
        *_, event_id = heapq.heappop(ready)
        if state.get(event_id) == _PLACED:
            continue
        state[event_id] = _PLACED
        ordered.append(by_id[event_id])
        _release_blocked(effects.get(event_id, []), state, ready)
    return tuple(ordered)


_BLOCKED, _RELEASED, _PLACED = 1, 0, -1  # waiting for its cause; ready to place; in the result


def _effects_within(by_id: dict[str, Entry]) -> dict[str, list[Entry]]:
    """Each event id's effects among the entries (an entry naming itself as its cause has none)."""
    effects: dict[str, list[Entry]] = {}
    for entry in by_id.values():
        cause = entry.causation_id
        if cause is not None and cause in by_id and cause != entry.event_id:
            effects.setdefault(cause, []).append(entry)
    return effects


def _earliest_unreleased(by_id: dict[str, Entry], state: dict[str, int]) -> Entry:
    """The earliest entry still waiting for its cause (never a placed one: placing it again
    would repeat it and lose the cycle's entries)."""
    return min((by_id[i] for i in state if state[i] == _BLOCKED), key=_sort_key)


def _release(entry: Entry, state: dict[str, int], ready: list[tuple[datetime, str]]) -> None:
    state[entry.event_id] = _RELEASED
    heapq.heappush(ready, _sort_key(entry))


def _release_blocked(
    effects: list[Entry], state: dict[str, int], ready: list[tuple[datetime, str]]
) -> None:
    """Release the effects of an entry just placed (an effect released already stays put)."""
    for effect in effects:
        if state.get(effect.event_id) == _BLOCKED:
            _release(effect, state, ready)


def _sort_key(entry: Entry) -> tuple[datetime, str]:
    return entry.occurred_at, entry.event_id


def key_facts(event: BaseModel) -> dict[str, Fact]:
    """The event's own fields, minus the envelope, personal data and free text.

    Scalars are kept as they are (dates as ISO strings), small flat non-personal models (money)
    as dicts of scalars, and collections as their size, ``<name>_count``.
    """
    personal = personal_data_paths(type(event))
    facts: dict[str, Fact] = {}
    for name in type(event).model_fields:
        if _shown(name, personal):
            facts.update(_facts_of(name, getattr(event, name)))
    return facts


def _shown(name: str, personal: frozenset[str]) -> bool:
    """Whether field ``name`` may reach a timeline: not the envelope, free text or personal."""
    if name in _ENVELOPE or name in _FREE_TEXT or name in personal:
        return False
    # A model holding personal data (an address, a contact) is left out whole.
    return not any(path.startswith(f"{name}.") for path in personal)


def _facts_of(name: str, value: object) -> dict[str, Fact]:
    """The facts one shown field gives: its size, its flat model, its scalar, or none."""
    if isinstance(value, tuple | list):
        return {f"{name}_count": len(value)}
    if isinstance(value, BaseModel):
        flat = {key: _scalar(item) for key, item in value.model_dump(mode="json").items()}
        return {} if any(item is _SKIP for item in flat.values()) else {name: flat}
    scalar = _scalar(value)
    return {} if scalar is _SKIP else {name: scalar}


_SKIP: Any = object()


def _scalar(value: object) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return _scalar(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _SKIP


def entry_of(event: OrderEnvelope, *, topic: str, trace_id: str | None) -> Entry:
    return Entry(
        event_id=str(event.event_id),
        event_type=event.event_type,
        occurred_at=event.occurred_at,
        service=event.producer,
        topic=topic,
        facts=key_facts(event),
        trace_id=trace_id,
        causation_id=str(event.causation_id) if event.causation_id else None,
    )
