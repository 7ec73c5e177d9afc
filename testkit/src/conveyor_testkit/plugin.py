"""The pytest plugin of every tier that needs real servers (``pytest_plugins``): the session's
servers (``conveyor_testkit.servers`` says where they come from), its Kafka logins, a namespace
per test (topic prefix, consumer groups and database names), topics with their ACLs, and a
token issuer of the session's own.

When no server can be found the session fails with what was tried; a missing server never
skips a test.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from conveyor_contracts.spec import TopicSpec
from conveyor_local.stack.commands import down
from conveyor_local.stack.health import wait_until_ready
from conveyor_local.stack.kafka import kafka_nodes
from conveyor_local.stack.provision import provision_kafka
from conveyor_local.stack.settings import PORT_VARIABLES, Settings
from conveyor_local.stack.supervise import ensure_started
from conveyor_runtime.kafka_acl import Acl, registry_acls
from conveyor_runtime.kafka_acl_admin import delete_acls, ensure_acls
from conveyor_runtime.kafka_cluster import wait_for_kafka
from conveyor_runtime.kafka_topics import delete_topics_with_prefix, ensure_topics
from conveyor_runtime.tokens import Issuer
from conveyor_testkit.logins import KafkaLogin
from conveyor_testkit.servers import (
    SERVER_TIMEOUT,
    Servers,
    docker_answers,
    free_port_block,
    from_environment,
    from_local_stack,
    from_testcontainers,
)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The real Kafka, MongoDB-compatible database and Jaeger for this session."""
    with ExitStack() as stack:
        tried: list[str] = []
        found = from_environment()
        if found is None:
            tried.append("CONVEYOR_TEST_* variables: not all set")
            try:
                found = from_testcontainers(stack) if docker_answers() else None
            except Exception as error:
                tried.append(f"testcontainers: {error}")
            else:
                if found is None:
                    tried.append("testcontainers: no Docker engine answers")
        if found is None:
            try:
                found = from_local_stack()
            except Exception as error:
                tried.append(f"local stack: {error}")
        if found is None:
            pytest.fail("no Kafka/MongoDB/Jaeger for the tests. Tried:\n- " + "\n- ".join(tried))
        yield found


@pytest.fixture(scope="session")
def kafka_login(servers: Servers) -> KafkaLogin:
    """How the session's clients log in to its Kafka (not at all when it does not authenticate):
    a test's own clients as the admin, a service under test as its own principal."""
    return servers.kafka_login


@pytest.fixture(scope="session")
async def kafka(servers: Servers, kafka_login: KafkaLogin) -> str:
    """Bootstrap servers of a Kafka that answers metadata and a group coordinator."""
    try:
        await wait_for_kafka(
            servers.kafka, timeout=SERVER_TIMEOUT, credentials=kafka_login.credentials()
        )
    except Exception as error:
        pytest.fail(f"Kafka from the {servers.origin} at {servers.kafka} is not ready: {error}")
    return servers.kafka


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaLogin]:
    """A Kafka node with authentication and authorization on, started for this session in a
    stack home of its own on free ports and provisioned as ``make up`` does it (users at
    format time, the registry's topics and ACLs); stopped at the end."""
    base = free_port_block(8)
    others = [field for field in PORT_VARIABLES if "kafka" not in field]
    ports: dict[str, Any] = dict(zip(others, range(base + 2, base + 8), strict=True))
    settings = Settings(
        home=tmp_path_factory.mktemp("secured-stack"),
        kafka_port=base,
        kafka_controller_port=base + 1,
        kafka_auth=True,
        start_timeout=SERVER_TIMEOUT,
        **ports,
    )
    [node] = kafka_nodes(settings)
    try:
        ensure_started(node)
        wait_until_ready(node, settings.start_timeout)
        provision_kafka(settings)
        yield KafkaLogin(settings.kafka_bootstrap(), settings.kafka_credentials_file)
    finally:
        down(settings)


@pytest.fixture
def namespace() -> str:
    """A prefix unique to this test for topics, consumer groups and databases."""
    return f"t{uuid.uuid4().hex[:10]}-"


@pytest.fixture(scope="session")
def token_issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    """A token issuer with two keys made for this session, nowhere else: an app built with
    ``jwks_path=token_issuer.jwks_path`` verifies ``token_issuer.bearer(role, subject)``."""
    return Issuer.at(tmp_path_factory.mktemp("tokens"))


CreateTopics = Callable[..., Awaitable[None]]


@pytest.fixture
async def create_topics(
    kafka: str, namespace: str, kafka_login: KafkaLogin
) -> AsyncIterator[CreateTopics]:
    """``await create_topics(spec, ...)`` creates each spec's topic and dead-letter topic here,
    and on an authenticated Kafka the registry's ACLs for them, moved to the namespace; the
    topics are deleted when the test ends."""
    admin = kafka_login.credentials()

    async def create(*specs: TopicSpec[Any]) -> None:
        wanted: dict[str, int] = {}
        for spec in specs:
            wanted[namespace + spec.name] = spec.partitions
            wanted[namespace + spec.dead_letter] = spec.partitions
        await ensure_topics(kafka, wanted, credentials=admin)
        if admin is not None:
            acls = registry_acls(specs, namespace)
            await ensure_acls(kafka, acls, credentials=admin)
            created.update(acls)

    created: set[Acl] = set()
    yield create
    await delete_topics_with_prefix(kafka, namespace, credentials=admin)
    await delete_acls(kafka, created, credentials=admin)
