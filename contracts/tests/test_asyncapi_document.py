"""The AsyncAPI document tells a partner what to code against: channels, keys, headers,
examples, dead letters and correlation, all taken from the registry and the models."""

import json
import re
from typing import Any

import pytest
from contracts_testkit import EVENTS
from pydantic import ValidationError

from conveyor_contracts import headers
from conveyor_contracts.envelope import Envelope
from conveyor_contracts.examples import DEAD_LETTER_REASON, dead_letter_example
from conveyor_contracts.headers import DeadLetterHeaders, MessageHeaders
from conveyor_contracts.topics import CHECKOUT_ORDERS, TOPICS


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    from conveyor_contracts._asyncapi import asyncapi_document

    return asyncapi_document()


def _target(document: dict[str, Any], ref: dict[str, str]) -> Any:
    node: Any = document
    for part in ref["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_topic_and_its_dead_letter_topic_is_a_channel_sized_as_the_registry(
    asyncapi: dict[str, Any],
) -> None:
    expected = {spec.name for spec in TOPICS} | {spec.dead_letter for spec in TOPICS}
    assert set(asyncapi["channels"]) == expected
    for spec in TOPICS:
        for name, hours in (
            (spec.name, spec.retention_hours),
            (spec.dead_letter, spec.dead_letter_retention_hours),
        ):
            channel = asyncapi["channels"][name]
            assert channel["address"] == name
            kafka = channel["bindings"]["kafka"]
            assert (kafka["partitions"], kafka["replicas"]) == (
                spec.partitions,
                spec.replication_factor,
            )
            assert kafka["topicConfiguration"]["retention.ms"] == hours * 3_600_000
        messages = asyncapi["channels"][spec.name]["messages"]
        assert list(messages) == [event.__name__ for event in spec.events]
        assert list(asyncapi["channels"][spec.dead_letter]["messages"]) == ["DeadLetter"]


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_message_names_its_kafka_key_and_its_headers(
    asyncapi: dict[str, Any], name: str
) -> None:
    event = EVENTS[name]
    message = asyncapi["components"]["messages"][name]
    (key,) = {spec.key for spec in TOPICS if event in spec.events}
    key_schema = message["bindings"]["kafka"]["key"]
    assert key_schema["pattern"] == event.model_json_schema()["properties"][key]["pattern"]
    assert f"the payload's {key}" in key_schema["description"]
    assert _target(asyncapi, message["headers"]) == MessageHeaders.model_json_schema()
    assert _target(asyncapi, message["payload"])["properties"].keys() == event.model_fields.keys()


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_message_example_is_valid_for_its_model_its_topics_and_its_headers(
    asyncapi: dict[str, Any], name: str
) -> None:
    event = EVENTS[name]
    (example,) = asyncapi["components"]["messages"][name]["examples"]
    parsed = event.model_validate(example["payload"])
    for spec in TOPICS:
        if event in spec.events:
            assert spec.adapter.validate_json(json.dumps(example["payload"])) == parsed
            key_schema = asyncapi["components"]["messages"][name]["bindings"]["kafka"]["key"]
            assert re.fullmatch(key_schema["pattern"], example["payload"][spec.key])
    sent = MessageHeaders.model_validate(example["headers"])
    assert sent.event_type == parsed.event_type
    assert sent.event_id == str(parsed.event_id)
    assert sent.traceparent is not None


def test_a_dead_letter_example_holds_every_x_dlq_header_and_the_broken_original(
    asyncapi: dict[str, Any],
) -> None:
    message = asyncapi["components"]["messages"]["DeadLetter"]
    assert _target(asyncapi, message["headers"]) == DeadLetterHeaders.model_json_schema()
    (example,) = message["examples"]
    parked = DeadLetterHeaders.model_validate(example["headers"])
    assert parked.original_topic == CHECKOUT_ORDERS.name
    assert parked.reason == DEAD_LETTER_REASON
    assert (example["headers"], example["payload"]) == dead_letter_example()
    with pytest.raises(ValidationError, match="lines"):
        CHECKOUT_ORDERS.adapter.validate_json(json.dumps(example["payload"]))
    dlq = set(DeadLetterHeaders.model_json_schema()["properties"])
    assert {name for name in dlq if name.startswith(headers.DEAD_LETTER_PREFIX)} == {
        headers.DLQ_REASON,
        headers.DLQ_ORIGINAL_TOPIC,
        headers.DLQ_ORIGINAL_PARTITION,
        headers.DLQ_ORIGINAL_OFFSET,
        headers.DLQ_CONSUMER_GROUP,
        headers.DLQ_FAILED_AT,
    }
    assert set(DeadLetterHeaders.model_json_schema()["required"]) == {
        name for name in dlq if name.startswith(headers.DEAD_LETTER_PREFIX)
    }


def test_the_header_constants_are_the_models_aliases() -> None:
    aliases = {
        field.alias or name
        for model in (MessageHeaders, DeadLetterHeaders)
        for name, field in model.model_fields.items()
    }
    constants = {
        value
        for name, value in vars(headers).items()
        if name.isupper()
        and not name.startswith("_")
        and not name.endswith(("_PATTERN", "_PREFIX"))
    }
    assert constants == aliases


def test_no_header_is_required_of_an_ordinary_message_and_none_is_null() -> None:
    schema = MessageHeaders.model_json_schema()
    assert "required" not in schema
    for prop in schema["properties"].values():
        assert "anyOf" not in prop
        assert "default" not in prop
    assert MessageHeaders.model_validate({}) == MessageHeaders.model_validate({"x-other": "out"})


def test_a_malformed_traceparent_header_is_rejected() -> None:
    with pytest.raises(ValidationError, match="traceparent"):
        MessageHeaders.model_validate({headers.TRACEPARENT: "not-a-trace"})


def test_messages_correlate_on_the_envelopes_correlation_id_not_on_the_event_id_header(
    asyncapi: dict[str, Any],
) -> None:
    correlation_ids = asyncapi["components"]["correlationIds"]
    assert correlation_ids["flow"]["location"] == "$message.payload#/correlation_id"
    assert "correlation_id" in Envelope.model_fields
    for name, message in asyncapi["components"]["messages"].items():
        assert _target(asyncapi, message["correlationId"]) == correlation_ids["flow"], name
    for event in EVENTS.values():
        assert "correlation_id" in event.model_json_schema()["required"]


def test_every_operation_references_messages_of_its_own_channel(asyncapi: dict[str, Any]) -> None:
    for operation_id, operation in asyncapi["operations"].items():
        channel = _target(asyncapi, operation["channel"])
        channel_id = operation["channel"]["$ref"].removeprefix("#/channels/")
        assert operation["messages"], operation_id
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(f"#/channels/{channel_id}/messages/")
            assert _target(asyncapi, ref) in channel["messages"].values()
        assert operation_id.endswith(f".{operation['action']}.{channel['address']}")


def test_every_receive_by_a_service_names_its_consumer_group(asyncapi: dict[str, Any]) -> None:
    from conveyor_contracts.groups import SERVICE_GROUPS

    for spec in TOPICS:
        for consumer in spec.consumers:
            operation_id = f"{consumer.replace(':', '-')}.receive.{spec.name}"
            group = asyncapi["operations"][operation_id]["bindings"]["kafka"]["groupId"]
            if consumer in SERVICE_GROUPS:
                assert group["const"] == SERVICE_GROUPS[consumer]
            else:
                assert group["pattern"] == f"^{consumer.replace(':', '-')}"
