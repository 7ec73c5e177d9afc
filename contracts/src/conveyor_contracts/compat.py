"""Tell a compatible change of an event's JSON Schema from a breaking one.

The rule within a ``v1`` topic: only additive, optional fields. A v1 consumer ignores fields it
does not know, but parses every field it knows with its own schema, and retained messages are
re-read by new code. So a change breaks if a message valid on one side can fail on the other:
removing a field, adding a required one, and narrowing a type or constraint break new readers of
old messages; widening one (a new enum value, a higher maximum, a field becoming nullable)
breaks old readers of new messages. Both are reported. Descriptions, titles, examples and
defaults are documentation and never break anything.
"""

from typing import Any

Schema = dict[str, Any]

# Constraints where a lower value accepts less (an upper bound) or more (a lower bound).
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems")
_EXACT = ("pattern", "format")


def breaking_changes(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Every incompatibility between two versions of one event's JSON Schema.

    Args:
        old_schema: The committed schema (as ``model_json_schema()`` produced it).
        new_schema: The schema of the current code.

    Returns:
        One sentence per breaking change, each starting with the JSON path; empty when the new
        schema only adds optional fields or changes documentation.
    """
    problems: list[str] = []
    _compare(old_schema, new_schema, (old_schema, new_schema), "$", problems, set())
    return problems


def _resolve(schema: Schema, root: Schema) -> tuple[Schema, str | None]:
    """Follow a local ``$ref`` (siblings such as a description are kept); also its name."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema, None
    name = ref.removeprefix("#/$defs/")
    siblings = {key: value for key, value in schema.items() if key != "$ref"}
    return {**root.get("$defs", {})[name], **siblings}, name


def _branches(schema: Schema) -> list[Schema] | None:
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            return list(schema[keyword])
    return None


def _branch_keys(branches: list[Schema]) -> dict[str, Schema]:
    """Name union branches by what they are (a $ref's name, else its type) to pair them up."""
    keys: dict[str, Schema] = {}
    for branch in branches:
        kind = branch.get("$ref") or str(branch.get("type", "any"))
        count = sum(key.startswith(f"{kind}#") for key in keys)
        keys[f"{kind}#{count}"] = branch
    return keys


def _compare(
    old: Schema,
    new: Schema,
    roots: tuple[Schema, Schema],
    path: str,
    out: list[str],
    seen: set[Any],
) -> None:
    old_resolved, old_ref = _resolve(old, roots[0])
    new_resolved, new_ref = _resolve(new, roots[1])
    if old_ref is not None and new_ref is not None:
        if (old_ref, new_ref) in seen:  # compared already (a shared or recursive model)
            return
        seen.add((old_ref, new_ref))
    old_branches, new_branches = _branches(old_resolved), _branches(new_resolved)
    if old_branches is not None or new_branches is not None:
        # A lone schema is paired with union branches as it was written, so a $ref keeps its name.
        old_keys = _branch_keys(old_branches or [old])
        new_keys = _branch_keys(new_branches or [new])
        for key in sorted(old_keys.keys() - new_keys.keys()):
            out.append(f"{path}: narrowed, union branch {key.split('#')[0]} removed")
        for key in sorted(new_keys.keys() - old_keys.keys()):
            out.append(f"{path}: widened, union branch {key.split('#')[0]} added")
        for key in sorted(old_keys.keys() & new_keys.keys()):
            _compare(old_keys[key], new_keys[key], roots, path, out, seen)
        return
    old, new = old_resolved, new_resolved
    _compare_scalar(old, new, path, out)
    _compare_object(old, new, roots, path, out, seen)
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], roots, f"{path}[]", out, seen)


def _compare_scalar(old: Schema, new: Schema, path: str, out: list[str]) -> None:
    if old.get("type") != new.get("type"):
        out.append(f"{path}: type changed from {old.get('type')} to {new.get('type')}")
    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if old_values is None and new_values is not None:
        out.append(f"{path}: narrowed, now restricted to {new_values}")
    elif old_values is not None and new_values is None:
        out.append(f"{path}: widened, no longer restricted to {old_values}")
    elif old_values is not None and new_values is not None:
        if removed := [value for value in old_values if value not in new_values]:
            out.append(f"{path}: narrowed, enum values removed {removed}")
        if added := [value for value in new_values if value not in old_values]:
            out.append(f"{path}: widened, enum values added {added}")
    for keyword in _EXACT:
        if old.get(keyword) != new.get(keyword):
            out.append(
                f"{path}: {keyword} changed from {old.get(keyword)!r} to {new.get(keyword)!r}"
            )
    for keyword in _UPPER_BOUNDS + _LOWER_BOUNDS:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if before is None or after is None:
            tighter = before is None
        else:
            tighter = after < before if keyword in _UPPER_BOUNDS else after > before
        verdict = "narrowed" if tighter else "widened"
        out.append(f"{path}: {verdict}, {keyword} changed from {before} to {after}")


def _allowed_values(schema: Schema) -> list[Any] | None:
    # A Literal of one value is a "const"; of several, an "enum": the same thing to compare.
    if "enum" in schema:
        return list(schema["enum"])
    return [schema["const"]] if "const" in schema else None


def _compare_object(
    old: Schema,
    new: Schema,
    roots: tuple[Schema, Schema],
    path: str,
    out: list[str],
    seen: set[Any],
) -> None:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    for name in old_props:
        if name not in new_props:
            out.append(f"{path}.{name}: field removed")
        else:
            _compare(old_props[name], new_props[name], roots, f"{path}.{name}", out, seen)
    for name in sorted(new_required - old_required):
        what = "became required" if name in old_props else "new required field"
        out.append(f"{path}.{name}: {what}")
    for name in sorted((old_required - new_required) & new_props.keys()):
        out.append(f"{path}.{name}: no longer required, old consumers reject messages without it")
