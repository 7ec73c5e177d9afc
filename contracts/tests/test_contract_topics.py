"""The topic registry is consistent: names, keys, dead letters, carriers, groups, ACL actors."""

from collections import Counter
from typing import Any

import pytest
from contracts_testkit import EVENTS

from conveyor_contracts import groups
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    CARRIER_CODES,
    TOPICS,
    TOPICS_BY_NAME,
    carrier_requests_topic,
    carrier_tracking_topic,
)

SERVICES = ("orders", "inventory", "shipping", "support")


def test_every_topic_name_is_unique_and_versioned() -> None:
    names = Counter(spec.name for spec in TOPICS)
    assert [name for name, count in names.items() if count > 1] == []
    assert all(name.endswith(".v1") for name in names)
    assert set(TOPICS_BY_NAME) == set(names)


def test_every_dead_letter_topic_is_the_topic_name_plus_dlq() -> None:
    for spec in TOPICS:
        assert spec.dead_letter == f"{spec.name}.dlq"
    assert not {spec.dead_letter for spec in TOPICS} & {spec.name for spec in TOPICS}


def test_at_least_five_carriers_are_onboarded_and_each_has_its_own_pair_of_topics() -> None:
    assert len(CARRIER_CODES) >= 5
    assert len(set(CARRIER_CODES)) == len(CARRIER_CODES)
    for code in CARRIER_CODES:
        requests, tracking = carrier_requests_topic(code), carrier_tracking_topic(code)
        assert requests.name == f"carrier.{code}.requests.v1"
        assert tracking.name == f"carrier.{code}.tracking.v1"
        assert requests in TOPICS
        assert tracking in TOPICS


def test_a_carrier_reads_and_writes_only_its_own_topics() -> None:
    for code in CARRIER_CODES:
        actor = f"carrier:{code}"
        touched = {
            spec.name for spec in TOPICS if actor in spec.consumers or spec.producer == actor
        }
        assert touched == {carrier_requests_topic(code).name, carrier_tracking_topic(code).name}


def test_an_unknown_carrier_has_no_topic() -> None:
    with pytest.raises(KeyError):
        carrier_requests_topic("nosuchcarrier")


@pytest.mark.parametrize("spec", TOPICS, ids=lambda spec: spec.name)
def test_every_event_carries_its_topics_key_field(spec: TopicSpec[Any]) -> None:
    for event in spec.events:
        assert spec.key in event.model_fields, f"{event.__name__} lacks {spec.key}"


def test_stock_topics_are_keyed_by_sku_and_order_topics_by_order_id() -> None:
    by_key = {spec.name: spec.key for spec in TOPICS}
    assert by_key["inventory.stock.v1"] == "sku"
    assert by_key["warehouse.receipts.v1"] == "sku"
    sku_keyed = {name for name, key in by_key.items() if key == "sku"}
    assert sku_keyed == {"inventory.stock.v1", "warehouse.receipts.v1"}


def test_partitions_are_positive_multiples_of_three() -> None:
    assert all(spec.partitions > 0 and spec.partitions % 3 == 0 for spec in TOPICS)


def test_every_consumer_group_id_is_unique() -> None:
    ids = [groups.GROUP_ORDERS, groups.GROUP_INVENTORY, groups.GROUP_SHIPPING, groups.GROUP_SUPPORT]
    assert len(set(ids)) == len(ids)
    assert sorted(groups.SERVICE_GROUPS.values()) == sorted(ids)


def test_every_service_that_consumes_has_a_group_and_every_service_consumes() -> None:
    consumers = {consumer for spec in TOPICS for consumer in spec.consumers}
    assert {c for c in consumers if ":" not in c and c in SERVICES} == set(groups.SERVICE_GROUPS)


def test_every_event_class_belongs_to_exactly_one_stream() -> None:
    owners: dict[str, set[str]] = {}
    for spec in TOPICS:
        stream = (
            spec.name.replace(spec.name.split(".")[1], "*")
            if spec.name.startswith("carrier.")
            else spec.name
        )
        for event in spec.events:
            owners.setdefault(event.__name__, set()).add(stream)
    assert {name: streams for name, streams in owners.items() if len(streams) > 1} == {}
    assert set(owners) == set(EVENTS)


def test_only_support_reads_its_own_topics_back_for_the_timelines() -> None:
    # Support's timelines take every order-keyed topic, its own cases and refunds included
    # (so a rebuild from the topics gives the same timeline); no other producer reads its own.
    own = {(spec.name, spec.producer) for spec in TOPICS if spec.producer in spec.consumers}
    assert own == {("support.cases.v1", "support"), ("support.refunds.v1", "support")}
