"""The compatibility checker reports breaking changes and accepts additive optional fields."""

from typing import Annotated, Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, create_model

from conveyor_contracts.checkout import OrderCancellationRequested, OrderPlaced
from conveyor_contracts.schema import breaking_changes, event_schemas


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), **defs: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(required),
    }
    if defs:
        schema["$defs"] = defs
    return schema


STRING = {"type": "string"}
OLD = obj({"a": STRING, "b": {"type": "integer", "maximum": 10}}, ("a",))


def test_identical_schemas_have_no_breaking_change() -> None:
    assert breaking_changes(OLD, OLD) == []


def test_every_current_event_is_compatible_with_itself() -> None:
    assert {
        name: breaking_changes(s, s)
        for name, s in event_schemas().items()
        if breaking_changes(s, s)
    } == {}


def test_an_added_optional_field_is_compatible() -> None:
    new = obj({**OLD["properties"], "c": STRING}, ("a",))
    assert breaking_changes(OLD, new) == []


def test_documentation_changes_are_compatible() -> None:
    new = obj(
        {
            "a": {**STRING, "description": "now documented", "examples": ["x"]},
            "b": OLD["properties"]["b"],
        },
        ("a",),
    )
    assert breaking_changes(OLD, new) == []


def test_a_removed_field_is_breaking() -> None:
    assert breaking_changes(OLD, obj({"a": STRING}, ("a",))) == ["$.b: field removed"]


def test_a_new_required_field_is_breaking() -> None:
    new = obj({**OLD["properties"], "c": STRING}, ("a", "c"))
    assert breaking_changes(OLD, new) == ["$.c: new required field"]


def test_an_optional_field_becoming_required_is_breaking() -> None:
    assert breaking_changes(OLD, obj(OLD["properties"], ("a", "b"))) == ["$.b: became required"]


def test_a_changed_type_is_breaking() -> None:
    new = obj({"a": {"type": "integer"}, "b": OLD["properties"]["b"]}, ("a",))
    assert breaking_changes(OLD, new) == ["$.a: type changed from string to integer"]


def test_an_enum_losing_a_value_is_breaking_and_gaining_one_too() -> None:
    old = obj({"s": {"type": "string", "enum": ["a", "b"]}})
    assert breaking_changes(old, obj({"s": {"type": "string", "enum": ["a"]}})) == [
        "$.s: narrowed, enum values removed ['b']"
    ]
    assert breaking_changes(old, obj({"s": {"type": "string", "enum": ["a", "b", "c"]}})) == [
        "$.s: widened, enum values added ['c']"
    ]


def test_a_free_string_becoming_an_enum_is_narrowed() -> None:
    changes = breaking_changes(obj({"s": STRING}), obj({"s": {"type": "string", "enum": ["a"]}}))
    assert changes == ["$.s: narrowed, now restricted to ['a']"]


@pytest.mark.parametrize(
    ("keyword", "old", "new"),
    [
        ("maxLength", 10, 5),
        ("maximum", 10, 9),
        ("minLength", 1, 2),
        ("minimum", 0, 1),
        ("maxItems", 3, None),
    ],
)
def test_a_tightened_constraint_is_narrowed(keyword: str, old: int, new: int | None) -> None:
    before = obj({"x": {"type": "string", keyword: old}})
    after = obj({"x": {"type": "string"} | ({keyword: new} if new is not None else {})})
    (change,) = breaking_changes(before, after)
    assert change.startswith(f"$.x: {'narrowed' if new is not None else 'widened'}, {keyword}")


def test_a_changed_pattern_is_breaking() -> None:
    old, new = (
        obj({"x": {"type": "string", "pattern": "^a$"}}),
        obj({"x": {"type": "string", "pattern": "^b$"}}),
    )
    assert breaking_changes(old, new) == ["$.x: pattern changed from '^a$' to '^b$'"]


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_moving_an_upper_bound_is_reported_in_the_right_direction(old: int, new: int) -> None:
    changes = breaking_changes(
        obj({"n": {"type": "integer", "maximum": old}}),
        obj({"n": {"type": "integer", "maximum": new}}),
    )
    if old == new:
        assert changes == []
    else:
        assert changes == [
            f"$.n: {'narrowed' if new < old else 'widened'}, maximum changed from {old} to {new}"
        ]


def test_a_type_removed_from_a_union_is_narrowed_and_a_nullable_field_is_widened() -> None:
    nullable = obj({"x": {"anyOf": [STRING, {"type": "null"}]}})
    assert breaking_changes(nullable, obj({"x": STRING})) == [
        "$.x: narrowed, union branch null removed"
    ]
    assert breaking_changes(obj({"x": STRING}), nullable) == [
        "$.x: widened, union branch null added"
    ]


def test_changes_inside_referenced_definitions_are_found() -> None:
    money = obj({"amount": {"type": "integer", "minimum": 0}}, ("amount",))
    old = obj({"price": {"$ref": "#/$defs/Money"}}, ("price",), Money=money)
    new = obj(
        {"price": {"$ref": "#/$defs/Money", "description": "doc"}}, ("price",), Money=obj({}, ())
    )
    assert breaking_changes(old, new) == ["$.price.amount: field removed"]


def test_a_reference_that_became_nullable_is_widened() -> None:
    money = obj({"amount": {"type": "integer"}})
    old = obj({"price": {"$ref": "#/$defs/Money"}}, (), Money=money)
    new = obj({"price": {"anyOf": [{"$ref": "#/$defs/Money"}, {"type": "null"}]}}, (), Money=money)
    assert breaking_changes(old, new) == ["$.price: widened, union branch null added"]


def _copy_of(model: type[BaseModel], drop: str = "", **fields: Any) -> type[BaseModel]:
    kept = {name: (f.annotation, f) for name, f in model.model_fields.items() if name != drop}
    return create_model(
        model.__name__, __config__=model.model_config, __doc__=model.__doc__, **(kept | fields)
    )


def test_a_real_event_gaining_an_optional_field_stays_compatible() -> None:
    newer = _copy_of(
        OrderPlaced, gift_note=(str | None, Field(default=None, description="x", examples=["x"]))
    )
    assert breaking_changes(OrderPlaced.model_json_schema(), newer.model_json_schema()) == []


def test_a_real_event_losing_a_field_is_breaking() -> None:
    newer = _copy_of(OrderPlaced, drop="live_stream_id")
    assert breaking_changes(OrderPlaced.model_json_schema(), newer.model_json_schema()) == [
        "$.live_stream_id: field removed"
    ]


def test_a_real_event_gaining_a_required_field_is_breaking() -> None:
    newer = _copy_of(OrderPlaced, channel=(str, Field(description="x", examples=["x"])))
    assert breaking_changes(OrderPlaced.model_json_schema(), newer.model_json_schema()) == [
        "$.channel: new required field"
    ]


def test_a_real_event_with_a_narrowed_enum_is_breaking() -> None:
    narrowed = Annotated[
        Literal["buyer_request", "other"], Field(description="x", examples=["other"])
    ]
    newer = _copy_of(OrderCancellationRequested, reason=(narrowed, ...))
    changes = breaking_changes(
        OrderCancellationRequested.model_json_schema(), newer.model_json_schema()
    )
    removed = ["payment_failed", "fraud_suspected", "duplicate_order"]
    assert changes == [f"$.reason: narrowed, enum values removed {removed}"]


def test_a_real_event_with_a_tightened_nested_bound_is_breaking() -> None:
    class TighterMoney(BaseModel):
        amount_minor: int = Field(ge=0, le=1000)
        currency: str

    newer = _copy_of(OrderPlaced, shipping_fee=(TighterMoney, ...))
    changes = breaking_changes(OrderPlaced.model_json_schema(), newer.model_json_schema())
    assert (
        "$.shipping_fee.amount_minor: narrowed, maximum changed from 100000000 to 1000" in changes
    )
