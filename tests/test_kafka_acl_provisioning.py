"""Provisioning an authenticated Kafka as ``make up`` does it, on a node of this module's own:
a principal the registry gained after the storage was formatted is created as the admin and
logs in, and ALLOW rules on the registry's topics and groups that the registry does not derive
are deleted, while rules on anything else, and DENY rules, stay.

The node is formatted without one registry principal (as if the registry gained it later), so
the tests can see provisioning create it; it is not the session's ``secured_kafka``, whose
rules other tests rely on.
"""

import asyncio
import json
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest
from test_kafka_acl_broker import publish, reads, refused_read

from conveyor_contracts.topics import (
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    TOPICS,
    carrier_requests_topic,
)
from conveyor_local.stack.commands import down
from conveyor_local.stack.health import wait_until_ready
from conveyor_local.stack.kafka import format_kafka_storage, kafka_nodes
from conveyor_local.stack.kafka_credentials import ensure_kafka_credentials
from conveyor_local.stack.provision import provision_kafka
from conveyor_local.stack.settings import PORT_VARIABLES, Settings
from conveyor_local.stack.supervise import ensure_started
from conveyor_runtime import kafka_acl_admin, kafka_topics, kafka_users
from conveyor_runtime.kafka_acl import (
    Acl,
    Operation,
    Pattern,
    Resource,
    registry_acls,
    registry_resources,
    stale_acls,
)
from conveyor_runtime.kafka_auth import client_options
from conveyor_testkit import KafkaLogin

# A real principal of the registry, left out of the format: "gained after it".
NEW = "carrier-highlandcourier"
DENY = 2  # the protocol's AclPermissionType code


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """An authenticated node whose storage was formatted before the registry had ``NEW``,
    started but not provisioned yet; stopped at the end."""
    base = _free_port_block(8)
    others = [field for field in PORT_VARIABLES if "kafka" not in field]
    settings = Settings(
        home=tmp_path_factory.mktemp("provisioning-stack"),
        kafka_port=base,
        kafka_controller_port=base + 1,
        kafka_auth=True,
        **dict(zip(others, range(base + 2, base + 8), strict=True)),
    )
    ensure_kafka_credentials(settings)
    _forget(settings.kafka_credentials_file, NEW)
    format_kafka_storage(settings)  # users: every principal of the file, NEW not among them
    [node] = kafka_nodes(settings)
    try:
        ensure_started(node)
        wait_until_ready(node, settings.start_timeout)
        yield settings
    finally:
        down(settings)


@pytest.fixture(scope="module")
def login(settings: Settings) -> KafkaLogin:
    return KafkaLogin(settings.kafka_bootstrap(), settings.kafka_credentials_file)


def _forget(credentials_file: Path, user: str) -> None:
    passwords = json.loads(credentials_file.read_text())
    del passwords[user]
    credentials_file.write_text(json.dumps(passwords))


def _free_port_block(size: int) -> int:
    """``size`` consecutive free loopback ports, below Linux's ephemeral range and away from
    the stacks' defaults and the session fixtures' block (24000-32000)."""
    for base in range(20_000, 24_000, size):
        try:
            for port in range(base, base + size):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free loopback ports between 20000 and 24000")


async def _logs_in(login: KafkaLogin, user: str) -> bool:
    client = AIOKafkaClient(
        bootstrap_servers=login.bootstrap,
        request_timeout_ms=5000,
        **client_options(login.credentials(user)),
    )
    try:
        await asyncio.wait_for(client.bootstrap(), timeout=15)
        return True
    except (KafkaError, TimeoutError):
        return False
    finally:
        await client.close()


async def test_a_principal_new_since_the_format_is_created_by_provisioning_and_logs_in(
    settings: Settings, login: KafkaLogin
) -> None:
    admin = login.credentials()
    before = await kafka_users.scram_users(login.bootstrap, credentials=admin)
    assert NEW not in before
    assert {"admin", "broker", "orders", "carrier-swiftpost"} <= before
    # The node's start gave NEW a password in the file; the cluster has no such user yet.
    assert login.credentials(NEW) is not None
    assert not await _logs_in(login, NEW)

    await asyncio.to_thread(provision_kafka, settings)  # what `make up` does

    assert NEW in await kafka_users.scram_users(login.bootstrap, credentials=admin)
    assert await _logs_in(login, NEW)
    # With its registry rights: it reads its own requests, in its own group.
    requests = carrier_requests_topic("highlandcourier").name
    sent = f"for-{NEW}".encode()
    await publish(login, "shipping", requests, sent)
    assert await reads(login, NEW, requests, f"{NEW}-provisioning", sent)
    # Provisioning again creates nobody, and keeps the password that works.
    created = await kafka_users.ensure_scram_users(
        login.bootstrap,
        {NEW: login.credentials(NEW).password},
        credentials=admin,
    )
    assert created == []
    assert await _logs_in(login, NEW)


async def test_provisioning_deletes_rules_on_registry_resources_it_no_longer_derives(
    settings: Settings, login: KafkaLogin
) -> None:
    await asyncio.to_thread(provision_kafka, settings)
    requests = carrier_requests_topic("swiftpost").name
    stale = {
        # support reads a carrier's requests: the registry never said so.
        Acl("User:support", Resource.TOPIC, requests, Pattern.LITERAL, Operation.READ),
        # The carrier's own right, but from one host only: not the registry's rule.
        Acl(
            "User:carrier-swiftpost",
            Resource.TOPIC,
            requests,
            Pattern.LITERAL,
            Operation.READ,
            host="10.1.2.3",
        ),
        # A right on a service's group the registry does not give.
        Acl("User:orders", Resource.GROUP, "orders", Pattern.LITERAL, Operation.DELETE),
    }
    unrelated = {
        # Not the registry's resources: an operator's topic, another namespace, a prefix.
        Acl("User:support", Resource.TOPIC, "ops.audit.v1", Pattern.LITERAL, Operation.READ),
        Acl("User:support", Resource.TOPIC, f"demo1-{requests}", Pattern.LITERAL, Operation.READ),
        Acl("User:support", Resource.TOPIC, "ops.", Pattern.PREFIXED, Operation.READ),
    }
    admin = login.credentials()
    await kafka_acl_admin.ensure_acls(login.bootstrap, stale | unrelated, credentials=admin)
    denied = (Resource.TOPIC, SUPPORT_CASES.name, Pattern.LITERAL, "User:orders", "*", 4, DENY)
    await _create_raw(login, denied)
    sent = b"before-reconcile"
    await publish(login, "shipping", requests, sent)
    assert await reads(login, "support", requests, group=None, sent=sent)  # the stale right works

    await asyncio.to_thread(provision_kafka, settings)

    held = await kafka_acl_admin.describe_acls(login.bootstrap, credentials=admin)
    assert not held & stale
    assert unrelated <= held
    assert registry_acls(TOPICS) <= held
    assert denied in await _described_raw(login)  # an operator's DENY is never the registry's
    assert await refused_read(login, "support", requests, group=None)
    # Nothing more to delete the second time.
    await asyncio.to_thread(provision_kafka, settings)
    assert await kafka_acl_admin.describe_acls(login.bootstrap, credentials=admin) == held


def test_the_registry_owns_its_topics_dead_letters_and_every_actors_groups() -> None:
    owned = registry_resources(TOPICS, "p-")
    assert (Resource.TOPIC, "p-support.cases.v1", Pattern.LITERAL) in owned
    assert (Resource.TOPIC, "p-support.cases.v1.dlq", Pattern.LITERAL) in owned
    assert (Resource.GROUP, "p-orders", Pattern.LITERAL) in owned
    assert (Resource.GROUP, "p-carrier-swiftpost", Pattern.PREFIXED) in owned
    assert (Resource.TOPIC, "support.cases.v1", Pattern.LITERAL) not in owned  # no prefix
    # Every derived rule is on an owned resource, so a derived rule is never "unrelated".
    assert {(a.resource, a.name, a.pattern) for a in registry_acls(TOPICS, "p-")} <= owned


def test_only_underived_rules_on_owned_resources_are_stale() -> None:
    derived = registry_acls(TOPICS)
    extra = Acl("User:support", Resource.TOPIC, "orders.status.v1", Pattern.LITERAL, Operation.READ)
    other = Acl("User:support", Resource.TOPIC, "x.v1", Pattern.LITERAL, Operation.READ)
    assert stale_acls(derived | {extra, other}, TOPICS) == {extra}
    assert stale_acls(derived, TOPICS) == set()
    # Another namespace's rules are not this one's to delete.
    assert stale_acls(registry_acls(TOPICS, "demo1-"), TOPICS) == set()


def test_the_warehouse_returns_dock_may_read_cases_and_shipments_in_its_groups() -> None:
    mine = {a for a in registry_acls(TOPICS) if a.principal == "User:warehouse"}
    for topic in (SUPPORT_CASES.name, SHIPPING_SHIPMENTS.name):
        assert Acl("User:warehouse", Resource.TOPIC, topic, Pattern.LITERAL, Operation.READ) in mine
    group = Acl("User:warehouse", Resource.GROUP, "warehouse", Pattern.PREFIXED, Operation.READ)
    assert group in mine
    # It parks nothing: no dead letters of what it reads.
    assert not any(a.name.endswith(".dlq") for a in mine)


async def _create_raw(login: KafkaLogin, rule: tuple[int, str, int, str, str, int, int]) -> None:
    """One rule through the plain protocol request: ensure_acls makes ALLOW rules only."""
    admin = AIOKafkaAdminClient(**login.options())
    await admin.start()
    try:
        response = await admin._client.send(
            admin._client.get_random_node(), CreateAclsRequest(*rule)
        )
        assert [code for code, _ in response.creation_responses] == [0]
    finally:
        await admin.close()


async def _described_raw(login: KafkaLogin) -> set[tuple[int, str, int, str, str, int, int]]:
    admin = AIOKafkaAdminClient(**login.options())
    await admin.start()
    try:
        described = await admin._client.send(
            admin._client.get_random_node(), DescribeAclsRequest(1, None, 1, None, None, 1, 1)
        )
        return {
            (kind, name, pattern, principal, host, operation, permission)
            for kind, name, pattern, rules in described.resources
            for principal, host, operation, permission in rules
        }
    finally:
        await admin.close()


async def test_the_deployment_provisioner_creates_the_users_it_lacks_the_topics_and_the_acls(
    settings: Settings, login: KafkaLogin, tmp_path: Path
) -> None:
    # What deploy/compose.yaml runs once the broker answers, with its secrets' credentials.json:
    # here the stack's, plus a user the cluster has never seen.
    passwords = json.loads(settings.kafka_credentials_file.read_text())
    passwords["carrier-newcomer"] = f"pw-{uuid.uuid4().hex}"
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps(passwords))
    bootstrap = settings.kafka_bootstrap()
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "conveyor_runtime.kafka_admin", "--bootstrap", bootstrap,
        "--credentials", str(credentials), "--timeout", "60",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(run.communicate(), timeout=180)
    assert run.returncode == 0, output.decode(errors="replace")[-3000:]

    admin = login.credentials()
    assert "carrier-newcomer" in await kafka_users.scram_users(bootstrap, credentials=admin)
    newcomer = KafkaLogin(bootstrap, credentials)
    assert await _logs_in(newcomer, "carrier-newcomer")
    held = await kafka_acl_admin.describe_acls(bootstrap, credentials=admin)
    assert registry_acls(TOPICS) <= held
    client = AIOKafkaAdminClient(**login.options())
    await client.start()
    try:
        topics = set(await client.list_topics())
    finally:
        await client.close()
    assert set(kafka_topics.registry_topics()) <= topics
