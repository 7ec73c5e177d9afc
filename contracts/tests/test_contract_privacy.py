"""Personal data is marked in the schema, listed by the helpers, and redacted before logging."""

import json

from contracts_testkit import EVENTS, example

from conveyor_contracts.carriers import BookShipment
from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.privacy import (
    REDACTED,
    personal_data_field_names,
    personal_data_paths,
    redacted,
)


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
