"""Personal data is marked in the schema, listed by the helpers, and redacted before logging."""

import json

from contracts_testkit import EVENTS, example

from conveyor_contracts.carriers import BookShipment
from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.privacy import (
    PERSONAL_DATA_KAFKA_BOUND_HOURS,
    REDACTED,
    SEGMENT_ROLL_HOURS,
    erased,
    holds_personal_data,
    personal_data_field_names,
    personal_data_paths,
    redacted,
)
from conveyor_contracts.topics import CHECKOUT_ERASURES, TOPICS


def test_addresses_contacts_and_buyer_ids_are_marked_as_personal_data() -> None:
    assert personal_data_paths(OrderPlaced) == {
        "buyer_id",
        "ship_to.address_lines",
        "ship_to.city",
        "ship_to.postal_code",
        "recipient.name",
        "recipient.phone",
    }


def test_the_mark_is_visible_in_the_json_schema_for_outside_readers() -> None:
    schema = OrderPlaced.model_json_schema()
    assert schema["$defs"]["Contact"]["properties"]["name"]["x-personal-data"] is True


def test_a_log_scrubber_gets_the_leaf_names_of_every_personal_field() -> None:
    names = personal_data_field_names(*EVENTS.values())
    assert {"name", "phone", "address_lines", "postal_code", "city", "buyer_id"} <= names
    assert {"summary", "remark"} <= names  # free text written by people
    assert not {"order_id", "sku", "event_id", "correlation_id", "tracking_number"} & names


def test_redacting_a_message_removes_every_personal_value_and_keeps_the_rest() -> None:
    command = BookShipment.model_validate(example(BookShipment))
    text = json.dumps(redacted(command))
    for secret in ("Ada Lovelace", "+14155550123", "1 Market Street", "94105", "San Francisco"):
        assert secret not in text
    data = redacted(command)
    assert data["recipient"]["name"] == REDACTED
    assert data["order_id"] == command.order_id
    assert data["deliver_to"]["country"] == "US"


def test_redacting_leaves_absent_optional_personal_fields_absent() -> None:
    command = BookShipment.model_validate(example(BookShipment) | {"recipient": {"name": "Ada"}})
    assert redacted(command)["recipient"] == {"name": REDACTED, "phone": None}


def test_erasing_a_message_replaces_every_personal_value_and_keeps_the_rest() -> None:
    placed = OrderPlaced.model_validate(example(OrderPlaced))
    gone = erased(placed)
    assert holds_personal_data(placed)
    assert not holds_personal_data(gone)
    assert gone.recipient.name == REDACTED
    assert gone.recipient.phone is None
    assert gone.ship_to.address_lines == (REDACTED,)
    assert (gone.ship_to.city, gone.ship_to.postal_code) == (REDACTED, REDACTED)
    assert gone.buyer_id == REDACTED
    # What is not personal still reads: where the order went (country), what it was, its ids.
    assert gone.ship_to.country == placed.ship_to.country
    assert (gone.lines, gone.order_id, gone.order_total) == (
        placed.lines,
        placed.order_id,
        placed.order_total,
    )
    text = gone.model_dump_json()
    for secret in ("Ada Lovelace", "+14155550123", "1 Market Street", "94105", "byr_7KQ2M9"):
        assert secret not in text


def test_erasing_twice_changes_nothing_more() -> None:
    once = erased(BookShipment.model_validate(example(BookShipment)))
    assert erased(once) is once


def test_every_topic_carrying_personal_data_lets_kafka_drop_it_within_the_bound() -> None:
    personal = [spec for spec in TOPICS if spec.personal_data]
    assert {spec.name for spec in personal} >= {
        "checkout.orders.v1",
        "orders.lifecycle.v1",
        "support.cases.v1",
        "carrier.swiftpost.requests.v1",
    }
    for spec in personal:
        for hours in (spec.retention_hours, spec.dead_letter_retention_hours):
            assert hours + SEGMENT_ROLL_HOURS <= PERSONAL_DATA_KAFKA_BOUND_HOURS, spec.name


def test_erasure_requests_name_no_person() -> None:
    assert not CHECKOUT_ERASURES.personal_data
    assert set(CHECKOUT_ERASURES.consumers) == {"shipping", "support"}
