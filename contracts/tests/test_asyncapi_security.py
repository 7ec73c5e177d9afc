"""The AsyncAPI document declares how clients authenticate and exactly the ACLs the broker has."""

from typing import Any

import pytest

from conveyor_contracts.groups import SERVICE_GROUPS
from conveyor_contracts.principals import OPERATOR
from conveyor_contracts.topics import TOPICS
from conveyor_runtime import kafka_acl

SCHEME = [{"$ref": "#/components/securitySchemes/scram512"}]


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    from conveyor_contracts._asyncapi import asyncapi_document

    return asyncapi_document()


def test_every_server_requires_sasl_scram_sha_512(asyncapi: dict[str, Any]) -> None:
    (scheme,) = asyncapi["components"]["securitySchemes"].values()
    assert scheme["type"] == "scramSha512"
    assert "allow.everyone.if.no.acl.found=false" in scheme["description"]
    assert asyncapi["servers"]
    for server in asyncapi["servers"].values():
        assert server["security"] == SCHEME
        assert server["protocol"] == "kafka"  # SASL_PLAINTEXT; kafka-secure would mean TLS


def test_each_operation_names_the_one_principal_the_registry_allows(
    asyncapi: dict[str, Any],
) -> None:
    allowed = {
        (spec.name, "send"): {f"User:{spec.producer.replace(':', '-')}"} for spec in TOPICS
    } | {
        (spec.name, "receive"): {f"User:{c.replace(':', '-')}" for c in spec.consumers}
        for spec in TOPICS
    }
    seen: dict[tuple[str, str], set[str]] = {}
    for operation in asyncapi["operations"].values():
        assert operation["security"] == SCHEME
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        if not channel.endswith(".dlq"):
            key = (channel, operation["action"])
            seen.setdefault(key, set()).add(operation["x-kafka-principal"])
    assert seen == allowed


def test_the_documented_acls_are_exactly_those_the_broker_is_given(
    asyncapi: dict[str, Any],
) -> None:
    documented = {
        (
            acl["principal"],
            acl["operation"],
            acl["resourceType"],
            acl["resourceName"],
            acl["patternType"],
        )
        for operation in asyncapi["operations"].values()
        for acl in operation["x-kafka-acls"]
    }
    derived = {
        (
            acl.principal,
            acl.operation.name,
            acl.resource.name.lower(),
            acl.name,
            acl.pattern.name.lower(),
        )
        for acl in kafka_acl.registry_acls(TOPICS)
    }
    assert documented == derived
    for operation in asyncapi["operations"].values():
        assert {acl["principal"] for acl in operation["x-kafka-acls"]} <= {
            operation["x-kafka-principal"]
        }


def test_only_the_services_that_consume_a_topic_write_its_dead_letters_and_operators_read_them(
    asyncapi: dict[str, Any],
) -> None:
    assert OPERATOR == kafka_acl.ADMIN  # the super user: it needs no ACL
    for spec in TOPICS:
        writers = {
            operation["x-kafka-principal"]
            for operation in asyncapi["operations"].values()
            if operation["channel"]["$ref"] == f"#/channels/{spec.dead_letter}"
            and operation["action"] == "send"
        }
        services = {c for c in spec.consumers if c in SERVICE_GROUPS}
        assert writers == {f"User:{service}" for service in services}
        reader = asyncapi["operations"][f"{OPERATOR}.receive.{spec.dead_letter}"]
        assert reader["x-kafka-principal"] == f"User:{OPERATOR}"
        assert reader["x-kafka-acls"] == []
