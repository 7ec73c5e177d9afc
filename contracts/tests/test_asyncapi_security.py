"""The AsyncAPI document declares how clients authenticate and who may use each operation."""

from typing import Any

import pytest

from conveyor_contracts.topics import TOPICS


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    from conveyor_contracts._asyncapi import asyncapi_document  # FastStream only in this test

    return asyncapi_document()


def test_the_server_requires_sasl_scram_sha_512(asyncapi: dict[str, Any]) -> None:
    schemes = asyncapi["components"]["securitySchemes"]
    assert schemes == {"scram512": {"type": "scramSha512"}}
    for server in asyncapi["servers"].values():
        assert server["security"] == [{"$ref": "#/components/securitySchemes/scram512"}]


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
    for operation_id, operation in asyncapi["operations"].items():
        assert operation["security"] == [{"$ref": "#/components/securitySchemes/scram512"}]
        key = (operation_id.split(":", 1)[0], operation["action"])
        seen.setdefault(key, set()).add(operation["x-kafka-principal"])
    assert seen == allowed
