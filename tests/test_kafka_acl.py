"""The registry's ACLs, derived without a broker (tests/test_kafka_acl_broker.py enforces them)."""

from pathlib import Path

import pytest

from conveyor_contracts.principals import user_name
from conveyor_contracts.topics import (
    CARRIER_CODES,
    CHECKOUT_ERASURES,
    CHECKOUT_ORDERS,
    INVENTORY_STOCK,
    ORDER_STATUS,
    SUPPORT_CASES,
    TOPICS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_local.stack.kafka import kafka_nodes
from conveyor_local.stack.preflight import refuse_other_kafka_security
from conveyor_local.stack.settings import Settings, StackError
from conveyor_runtime.kafka_acl import (
    Acl,
    Operation,
    Pattern,
    Resource,
    registry_acls,
    registry_actors,
)

ACLS = registry_acls(TOPICS)


def test_a_carrier_gets_exactly_its_own_requests_to_read_and_tracking_to_write() -> None:
    for code in CARRIER_CODES:
        user = f"User:carrier-{code}"
        requests, tracking = carrier_requests_topic(code).name, carrier_tracking_topic(code).name
        assert {acl for acl in ACLS if acl.principal == user} == {
            Acl(user, Resource.TOPIC, requests, Pattern.LITERAL, Operation.READ),
            Acl(user, Resource.TOPIC, tracking, Pattern.LITERAL, Operation.WRITE),
            # Its own consumer groups, whatever it names them after its principal.
            Acl(user, Resource.GROUP, f"carrier-{code}", Pattern.PREFIXED, Operation.READ),
        }


def test_the_checkout_writes_its_topics_and_reads_status_and_stock_in_its_groups() -> None:
    mine = {
        (acl.operation, acl.name, acl.pattern) for acl in ACLS if acl.principal == "User:checkout"
    }
    assert mine == {
        (Operation.WRITE, CHECKOUT_ORDERS.name, Pattern.LITERAL),
        (Operation.WRITE, CHECKOUT_ERASURES.name, Pattern.LITERAL),
        (Operation.READ, ORDER_STATUS.name, Pattern.LITERAL),
        (Operation.READ, INVENTORY_STOCK.name, Pattern.LITERAL),
        (Operation.READ, "checkout", Pattern.PREFIXED),
    }


def test_every_producer_writes_and_every_consumer_reads_and_joins_its_group() -> None:
    for spec in TOPICS:
        writers = {
            a.principal for a in ACLS if a.name == spec.name and a.operation is Operation.WRITE
        }
        readers = {
            a.principal for a in ACLS if a.name == spec.name and a.operation is Operation.READ
        }
        assert writers == {f"User:{user_name(spec.producer)}"}
        assert readers == {f"User:{user_name(consumer)}" for consumer in spec.consumers}


def test_a_dead_letter_topic_is_written_only_by_the_services_that_consume_its_topic() -> None:
    writers = {a.principal for a in ACLS if a.name == SUPPORT_CASES.dead_letter}
    # Support reads its own cases back for the timelines, so it parks its own bad ones too.
    assert writers == {"User:orders", "User:inventory", "User:shipping", "User:support"}
    assert not any(
        a.name == SUPPORT_CASES.dead_letter and a.operation is Operation.READ for a in ACLS
    )
    # A carrier consumes its requests but parks nothing: no service group, no dead letters.
    assert not any(a.name == carrier_requests_topic("swiftpost").dead_letter for a in ACLS)


def test_a_prefix_moves_every_topic_and_group_and_nothing_else() -> None:
    prefixed = registry_acls(TOPICS, prefix="t1-")
    assert len(prefixed) == len(ACLS)
    assert all(acl.name.startswith("t1-") for acl in prefixed)
    assert {acl.name.removeprefix("t1-") for acl in prefixed} == {acl.name for acl in ACLS}


def test_every_actor_of_the_registry_is_a_principal() -> None:
    assert registry_actors(TOPICS) == sorted(
        [
            *(f"carrier-{code}" for code in CARRIER_CODES),
            "checkout",
            "inventory",
            "orders",
            "payments",
            "shipping",
            "support",
            "warehouse",
        ]
    )


def test_make_up_with_authentication_refuses_data_formatted_without_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, kafka_auth=True)
    [node] = kafka_nodes(settings)
    node.data.mkdir(parents=True)
    (node.data / "meta.properties").write_text("version=1\n")  # formatted, and no credentials
    with pytest.raises(StackError, match="formatted without authentication"):
        refuse_other_kafka_security(settings)
    assert not settings.kafka_credentials_file.exists()  # nothing generated for it either
