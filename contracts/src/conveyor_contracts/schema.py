"""JSON Schema of every event, by class name; ``breaking_changes`` compares two versions."""

from typing import Any

from conveyor_contracts.compat import breaking_changes as breaking_changes
from conveyor_contracts.envelope import Envelope
from conveyor_contracts.topics import TOPICS

Schema = dict[str, Any]


def event_models() -> dict[str, type[Envelope]]:
    """Every event and command class carried by any topic, by class name (sorted).

    Raises:
        RuntimeError: Two different classes share a name (snapshots are stored by name).
    """
    models: dict[str, type[Envelope]] = {}
    for spec in TOPICS:
        for event in spec.events:
            if models.setdefault(event.__name__, event) is not event:
                raise RuntimeError(f"two event classes are named {event.__name__}")
    return dict(sorted(models.items()))


def event_schemas() -> dict[str, Schema]:
    """JSON Schema (validation mode, draft 2020-12) of every event, by class name."""
    return {name: model.model_json_schema() for name, model in event_models().items()}
