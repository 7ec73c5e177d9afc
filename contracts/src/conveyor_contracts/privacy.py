"""Find and redact personal data (fields marked ``x-personal-data``) before anything is logged.

Logs, span attributes and metric labels must never carry names, addresses or phone numbers; the
runtime's logging and telemetry use these helpers rather than a hand-kept list of field names.
"""

from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

REDACTED = "[redacted]"


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
