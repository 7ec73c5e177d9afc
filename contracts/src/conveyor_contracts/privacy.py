"""Find and redact personal data (fields marked ``x-personal-data``): before anything is logged,
and in stored copies once a buyer's data reaches the end of its lifetime or is asked erased.

Logs, span attributes and metric labels must never carry names, addresses or phone numbers; the
runtime's logging and telemetry use these helpers rather than a hand-kept list of field names.
"""

from functools import cache
from typing import Any, TypeVar, get_args

from pydantic import BaseModel

REDACTED = "[redacted]"
M = TypeVar("M", bound=BaseModel)


def _is_personal(extra: object) -> bool:
    return isinstance(extra, dict) and extra.get("x-personal-data") is True


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Model classes nested in an annotation such as ``tuple[Line, ...]`` or ``Address | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


@cache
def personal_data_paths(model: type[BaseModel]) -> frozenset[str]:
    """Dotted paths of every personal-data field in a model, nested models included.

    Args:
        model: A contract model class, e.g. ``OrderPlaced``.

    Returns:
        Paths such as ``"ship_to.postal_code"``; a path into a list applies to every item.
    """
    paths: set[str] = set()
    for name, field in model.model_fields.items():
        if _is_personal(field.json_schema_extra):
            paths.add(name)
            continue
        for nested in _models_in(field.annotation):
            paths.update(f"{name}.{inner}" for inner in personal_data_paths(nested))
    return frozenset(paths)


def personal_data_field_names(*models: type[BaseModel]) -> frozenset[str]:
    """Leaf field names that hold personal data in any of the models (``name``, ``phone``...).

    Args:
        *models: Contract model classes.

    Returns:
        The last segment of each personal-data path: what a log scrubber matches on keys.
    """
    return frozenset(path.rsplit(".", 1)[-1] for m in models for path in personal_data_paths(m))


def redacted(message: BaseModel) -> dict[str, Any]:
    """The message as JSON-ready data with every personal-data value replaced by ``[redacted]``.

    Args:
        message: Any contract model instance.

    Returns:
        A plain dict, safe to log.
    """
    return _redact(message, message.model_dump(mode="json"))


def _redact(model: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None or name not in data:
            continue
        if _is_personal(field.json_schema_extra):
            data[name] = REDACTED
        elif isinstance(value, BaseModel):
            data[name] = _redact(value, data[name])
        elif isinstance(value, tuple):
            data[name] = [
                _redact(item, raw) if isinstance(item, BaseModel) else raw
                for item, raw in zip(value, data[name], strict=True)
            ]
    return data


# How long Kafka may keep a buyer's personal data. Messages are immutable: an erasure request
# cannot reach into a topic, so what bounds their life is the topic's retention. Kafka deletes a
# whole log segment once its newest message is past ``retention.ms``, and a segment is closed at
# the latest after ``segment.ms`` (the broker's default, 7 days): a message lives up to the
# retention plus 7 days. The bound is the month GDPR gives to act on an erasure (Art. 12(3)).
SEGMENT_ROLL_HOURS = 7 * 24
PERSONAL_DATA_KAFKA_BOUND_HOURS = 30 * 24
# Dead letters keep the original bytes: on a personal-data topic they wait 14 days for an
# operator's replay (plus the segment roll, 21 days: inside the bound), not the default 30.
PERSONAL_DEAD_LETTER_RETENTION_HOURS = 14 * 24


def holds_personal_data(message: BaseModel) -> bool:
    """Whether any field marked ``x-personal-data`` has a value that is not already erased.

    Args:
        message: Any wire model (an event, an address, a contact).
    """
    return erased(message) != message


def erased(message: M) -> M:
    """The model with every personal-data value replaced, everything else kept.

    An optional field becomes ``None``; a text ``[redacted]``; a list of texts ``["[redacted]"]``
    (lengths allowed by every such field). The copy is not validated again: an erased phone
    number is ``None``, and patterns are left to values people typed.

    Args:
        message: Any wire model instance.

    Returns:
        A copy of the same type; the same object when there was nothing to erase.
    """
    update: dict[str, Any] = {}
    for name, field in type(message).model_fields.items():
        value = getattr(message, name)
        if value is None:
            continue
        if _is_personal(field.json_schema_extra):
            replacement: Any = None if not field.is_required() else REDACTED
            if isinstance(value, tuple):
                replacement = (REDACTED,)
            if value != replacement:
                update[name] = replacement
        elif isinstance(value, BaseModel):
            if (inner := erased(value)) is not value:
                update[name] = inner
        elif isinstance(value, tuple) and any(isinstance(item, BaseModel) for item in value):
            items = tuple(erased(i) if isinstance(i, BaseModel) else i for i in value)
            if items != value:
                update[name] = items
    return message.model_copy(update=update) if update else message
