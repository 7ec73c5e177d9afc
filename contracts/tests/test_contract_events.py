"""Every event documents itself, validates its own examples, and survives the wire."""

import json
from typing import Annotated, Any

import pytest
from contracts_testkit import EVENTS, example, pair_id, topic_event_pairs, wire_models
from pydantic import BaseModel, TypeAdapter, ValidationError

from conveyor_contracts.address import PostalAddress
from conveyor_contracts.envelope import Envelope
from conveyor_contracts.spec import TopicSpec

PAIRS = topic_event_pairs()
MODELS = wire_models()


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_every_event_round_trips_through_json_and_its_topic_adapter(
    pair: tuple[TopicSpec[Any], type[Envelope]],
) -> None:
    spec, event_class = pair
    event = event_class.model_validate(example(event_class))
    parsed = spec.adapter.validate_json(event.model_dump_json().encode())
    assert type(parsed) is event_class
    assert parsed == event


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_field_has_a_description_and_examples(model: type[BaseModel]) -> None:
    undocumented = [
        name
        for name, field in model.model_fields.items()
        if not field.description or not field.examples
    ]
    assert not undocumented, (
        f"{model.__name__} fields without description or examples: {undocumented}"
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_field_example_is_valid_for_its_field(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        annotation = (
            Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        )
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        for value in field.examples or ():
            try:
                adapter.validate_python(value)
            except ValidationError as error:
                pytest.fail(f"{model.__name__}.{name} example {value!r} is invalid: {error}")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_whole_message_example_of_every_model_validates(model: type[BaseModel]) -> None:
    model.model_validate(example(model))


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_event_type_is_the_class_name(name: str) -> None:
    assert EVENTS[name].model_fields["event_type"].default == name


def test_every_model_is_frozen_and_ignores_unknown_fields() -> None:
    loose = [
        m.__name__
        for m in MODELS
        if m.model_config.get("extra") != "ignore" or not m.model_config.get("frozen")
    ]
    assert not loose


@pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
def test_a_topic_union_rejects_an_unknown_or_missing_event_type(
    pair: tuple[TopicSpec[Any], type[Envelope]],
) -> None:
    spec, event_class = pair
    data = example(event_class)
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        spec.adapter.validate_json(json.dumps(data | {"event_type": "SomethingElse"}))
    del data["event_type"]
    with pytest.raises(ValidationError, match="Unable to extract tag"):
        spec.adapter.validate_json(json.dumps(data))


def test_a_topic_union_rejects_bytes_that_are_not_json() -> None:
    spec = PAIRS[0][0]
    with pytest.raises(ValidationError, match="json_invalid"):
        spec.adapter.validate_json(b"\x00not json")


def _invalid(event_name: str, **changes: Any) -> None:
    model = EVENTS[event_name]
    with pytest.raises(ValidationError):
        model.model_validate(example(model) | changes)


def test_stock_levels_that_do_not_add_up_are_rejected() -> None:
    _invalid("StockLevelChanged", on_hand=10, reserved=2, available=9)


def test_a_low_stock_alert_above_its_threshold_is_rejected() -> None:
    _invalid("LowStockDetected", available=11, threshold=10)


def test_a_rebooking_with_the_same_carrier_is_rejected() -> None:
    _invalid("ShipmentRebooked", carrier_code="swiftpost", previous_carrier_code="swiftpost")


@pytest.mark.parametrize("event_name", ["ShipmentBooked", "BookShipment", "ReturnPickupBooked"])
def test_a_delivery_promise_before_the_pickup_deadline_is_rejected(event_name: str) -> None:
    _invalid(event_name, pickup_by="2026-03-19T00:00:00Z", deliver_by="2026-03-18T00:00:00Z")


def test_a_refund_of_zero_is_rejected() -> None:
    _invalid("RefundRequested", amount={"amount_minor": 0, "currency": "USD"})


def test_a_short_line_with_enough_stock_is_rejected() -> None:
    _invalid("StockShortage", short_lines=[{"sku": "TEE-BLK-M", "requested": 2, "available": 2}])


def test_a_restock_that_restocks_nothing_is_rejected() -> None:
    _invalid("StockRestocked", restocked=[], written_off=[])


def test_a_reservation_naming_one_warehouse_twice_is_rejected() -> None:
    allocation = {"warehouse_id": "WH-US-NJ1", "lines": [{"sku": "TEE-BLK-M", "quantity": 1}]}
    _invalid("StockReserved", allocations=[allocation, allocation])


def test_a_naive_scan_time_from_a_carrier_is_rejected() -> None:
    _invalid("TrackingScanRecorded", scanned_at="2026-03-14T18:05:09")


def test_a_label_url_that_is_not_https_is_rejected() -> None:
    _invalid("ShipmentAccepted", label_url="http://labels.example/x.pdf")


def test_an_address_made_of_its_fields_examples_is_one_real_address() -> None:
    by_fields = {name: field.examples[0] for name, field in PostalAddress.model_fields.items()}
    # San Francisco, California, 94105: in the United States, as the events' examples say.
    assert by_fields == example(EVENTS["OrderPlaced"])["ship_to"]
