"""Helpers shared by the contract tests: every event, every wire model, a valid example of each."""

from typing import Any

from pydantic import BaseModel

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.examples import payload_example
from conveyor_contracts.privacy import _models_in
from conveyor_contracts.schema import event_models
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import TOPICS

EVENTS: dict[str, type[Envelope]] = event_models()


def wire_models() -> list[type[BaseModel]]:
    """Every event plus every model nested in one (Money, PostalAddress, lines...)."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = list(EVENTS.values())
    while pending:
        model = pending.pop()
        if found.setdefault(model.__qualname__ + model.__module__, model) is model:
            for field in model.model_fields.values():
                pending.extend(m for m in _models_in(field.annotation) if m not in found.values())
    return sorted(found.values(), key=lambda model: model.__name__)


def example(model: type[BaseModel]) -> dict[str, Any]:
    """The whole-message example published in the model's JSON Schema (and the document)."""
    return payload_example(model)


def topic_event_pairs() -> list[tuple[TopicSpec[Any], type[Envelope]]]:
    """(topic, event) for every event each distinct union carries, once per union."""
    seen: set[int] = set()
    pairs = []
    for spec in TOPICS:
        if id(spec.adapter) not in seen:
            seen.add(id(spec.adapter))
            pairs.extend((spec, event) for event in spec.events)
    return pairs


def pair_id(pair: tuple[TopicSpec[Any], type[Envelope]]) -> str:
    return f"{pair[0].name}:{pair[1].__name__}"
