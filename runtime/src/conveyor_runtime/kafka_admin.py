"""Kafka administration shared by the local stack, test fixtures and deployments.

- ``wait_for_kafka``: ready means the broker answers metadata *and* a group coordinator lookup;
  an open port or a bare metadata answer is not enough for consumer groups to work.
- ``ensure_topics``: idempotent creation (existing topics are left as they are), then waits until
  every partition has a leader, so the caller can produce and subscribe at once.
- ``registry_topics``: every topic of the contracts' registry plus its dead-letter companion.
- ``ensure_acls``: idempotent creation of ACLs (``conveyor_runtime.kafka_acl`` derives them);
  ``describe_acls`` reads the cluster's ALLOW rules back and ``delete_acls`` removes some
  (provisioning deletes those ``kafka_acl.stale_acls`` finds); ``reconcile_acls`` does both.

Each takes the caller's ``credentials`` (the admin principal on an authenticated broker).

Run as a program it provisions a cluster as deploy/compose.yaml does: the SCRAM users it lacks,
the registry's topics, then the registry's ACLs (without ``--credentials``: topics only)::

    python -m conveyor_runtime.kafka_admin --bootstrap kafka:9092 --credentials credentials.json
"""

import argparse
import asyncio
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import IncompatibleBrokerVersion, KafkaError
from aiokafka.protocol.admin import (
    CreateAclsRequest,
    CreateAclsRequestStruct,
    DeleteAclsRequest,
    DeleteAclsRequestStruct,
    DescribeAclsRequest,
)
from pydantic import SecretStr

from conveyor_runtime import kafka_users
from conveyor_runtime.kafka_acl import (
    ADMIN,
    Acl,
    Operation,
    Pattern,
    Resource,
    registry_acls,
    stale_acls,
)
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options

# Any group id works: a FindCoordinator request names one but creates nothing. The first lookup
# makes the broker create __consumer_offsets, so it fails until that topic has a leader.
_PROBE_GROUP = "conveyor-readiness-probe"
_ATTEMPT_TIMEOUT = 5.0
_LEADER_WAIT = 30.0
_RETRY_INTERVAL = 0.25
_TOPIC_ALREADY_EXISTS = 36
_ALLOW = 3
_ANY = 1  # in a filter: any resource type, pattern type, operation or permission


class KafkaNotReadyError(RuntimeError):
    """Kafka did not answer metadata and a group coordinator lookup before the deadline."""


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic, or its partitions got no leader in time."""


# A deadline for a retry loop, not a cancellation: the error must name the last failure seen.
async def wait_for_kafka(
    bootstrap: str,
    timeout: float,  # noqa: ASYNC109
    *,
    credentials: KafkaCredentials | None = None,
) -> None:
    """Wait until Kafka answers cluster metadata and a group coordinator lookup.

    Args:
        bootstrap: Bootstrap servers, ``host:port[,host:port...]``.
        timeout: Seconds to keep trying.
        credentials: Who asks, on an authenticated broker.

    Raises:
        KafkaNotReadyError: At the deadline, with the last error seen.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            async with asyncio.timeout(_ATTEMPT_TIMEOUT):
                await _probe(bootstrap, credentials)
            return
        except (KafkaError, KafkaNotReadyError, OSError, TimeoutError) as error:
            last_error = error
        if loop.time() >= deadline:
            raise KafkaNotReadyError(
                f"Kafka at {bootstrap} did not answer metadata and a group coordinator lookup "
                f"within {timeout:.0f}s; last error: {last_error!r}"
            ) from last_error
        await asyncio.sleep(_RETRY_INTERVAL)


async def _probe(bootstrap: str, credentials: KafkaCredentials | None) -> None:
    admin = _admin_client(bootstrap, credentials)
    try:
        await admin.start()
        cluster: dict[str, Any] = await admin.describe_cluster()
        if not cluster["brokers"]:
            raise KafkaNotReadyError(f"Kafka at {bootstrap} reports no broker yet")
        await admin.find_coordinator(_PROBE_GROUP)
    finally:
        await admin.close()


@dataclass(frozen=True)
class TopicSettings:
    """How a topic is created: partitions, copies, and the configs Kafka enforces."""

    partitions: int
    replication_factor: int = 3
    min_insync_replicas: int = 2
    retention_hours: int | None = None  # the broker's default when None

    def on(self, brokers: int) -> tuple[int, dict[str, str]]:
        """The replication factor and configs on a cluster of ``brokers``: never more copies
        than brokers, and never more in sync than copies (one local broker: 1 and 1)."""
        replicas = min(self.replication_factor, brokers)
        configs = {"min.insync.replicas": str(min(self.min_insync_replicas, replicas))}
        if self.retention_hours is not None:
            configs["retention.ms"] = str(self.retention_hours * 3600 * 1000)
        return replicas, configs


async def ensure_topics(
    bootstrap: str,
    topics: Mapping[str, int | TopicSettings],
    *,
    credentials: KafkaCredentials | None = None,
) -> None:
    """Create the topics that do not exist yet and wait until all of them have leaders.

    Existing topics are left unchanged, even with another partition count: adding partitions
    would move keys to other partitions and break per-key order, so that is a deliberate,
    manual operation.

    Args:
        bootstrap: Bootstrap servers, ``host:port[,host:port...]``.
        topics: Topic name -> its settings, or only its partitions (then the default copies,
            3 and 2 in sync, capped by the cluster's size).

    Raises:
        TopicCreationError: A topic was refused, or has partitions without a leader in time.
    """
    if not topics:
        return
    admin = _admin_client(bootstrap, credentials)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        brokers = len((await admin.describe_cluster())["brokers"])
        missing = []
        for name, wanted in sorted(topics.items()):
            if name in existing:
                continue
            settings = TopicSettings(wanted) if isinstance(wanted, int) else wanted
            replicas, configs = settings.on(brokers)
            missing.append(NewTopic(name, settings.partitions, replicas, topic_configs=configs))
        if missing:
            response = await admin.create_topics(missing, timeout_ms=int(_LEADER_WAIT * 1000))
            _raise_for_refused(response.to_object()["topic_errors"])
        await _wait_for_leaders(admin, sorted(topics))
    finally:
        await admin.close()


async def delete_topics_with_prefix(
    bootstrap: str, prefix: str, *, credentials: KafkaCredentials | None = None
) -> int:
    """Delete every topic whose name starts with ``prefix``; how many were asked to go.

    For throwaway namespaces (a test's, a demo run's): on one small broker every partition
    costs heap and file handles, and thousands of forgotten ones exhaust it.
    """
    if not prefix:
        raise ValueError("refusing to delete every topic: give a non-empty prefix")
    admin = _admin_client(bootstrap, credentials)
    try:
        await admin.start()
        doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed, timeout_ms=int(_LEADER_WAIT * 1000))
        return len(doomed)
    finally:
        await admin.close()


def _raise_for_refused(topic_errors: list[dict[str, Any]]) -> None:
    # Another process may have created the topic since we listed: that is success too.
    refused = [
        f"{entry['topic']}: {entry['error_message'] or entry['error_code']}"
        for entry in topic_errors
        if entry["error_code"] not in (0, _TOPIC_ALREADY_EXISTS)
    ]
    if refused:
        raise TopicCreationError("Kafka refused to create: " + "; ".join(refused))


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _LEADER_WAIT
    while True:
        leaderless = _topics_without_leaders(await admin.describe_topics(names))
        if not leaderless:
            return
        if loop.time() >= deadline:
            raise TopicCreationError(
                f"partitions without a leader after {_LEADER_WAIT:.0f}s: {', '.join(leaderless)}"
            )
        await asyncio.sleep(_RETRY_INTERVAL)


def _topics_without_leaders(described: list[dict[str, Any]]) -> list[str]:
    return [
        topic["topic"]
        for topic in described
        if topic["error_code"] != 0
        or not topic["partitions"]
        or any(partition["leader"] < 0 for partition in topic["partitions"])
    ]


def registry_specs() -> tuple[Any, ...]:
    """The contracts' registry (``TopicSpec``s), imported only when asked for."""
    from conveyor_contracts.topics import TOPICS

    return TOPICS


def registry_topics(prefix: str = "") -> dict[str, TopicSettings]:
    """Every topic of the contracts' registry and its dead-letter topic, as the registry sizes
    them, each name after ``prefix``.

    A dead-letter topic gets as many partitions as its topic: the dead-letter publish keeps the
    message key, so each key's failures stay together and in order, and a replay into the
    original topic can run with the same parallelism.
    """
    # Imported here, not at the top: waiting for Kafka and creating per-test topics must not
    # depend on the registry module.
    from conveyor_contracts.topics import TOPICS

    wanted: dict[str, TopicSettings] = {}
    for spec in TOPICS:
        copies = {
            "replication_factor": spec.replication_factor,
            "min_insync_replicas": spec.min_insync_replicas,
        }
        wanted[prefix + spec.name] = TopicSettings(
            spec.partitions, retention_hours=spec.retention_hours, **copies
        )
        wanted[prefix + spec.dead_letter] = TopicSettings(
            spec.partitions, retention_hours=spec.dead_letter_retention_hours, **copies
        )
    return wanted


class AclCreationError(RuntimeError):
    """The broker refused to create an ACL."""


async def ensure_acls(
    bootstrap: str, acls: Iterable[Acl], *, credentials: KafkaCredentials | None = None
) -> int:
    """Create every ACL (ALLOW, from any host); an existing one is left as it is, so this is
    idempotent. Returns how many were asked for.

    aiokafka's admin client has no ``create_acls``, but it ships the protocol's CreateAcls
    request: every rule goes in one of them (see ``_CreateAcls``).
    Rules no longer derived are not deleted here: provisioning finds them with
    ``describe_acls`` and ``kafka_acl.stale_acls`` and deletes them with ``delete_acls``.

    Raises:
        AclCreationError: The broker refused one, with its reason (e.g. not authorized).
    """
    wanted = sorted(set(acls))
    if not wanted:
        return 0
    creations = [_wire(acl) for acl in wanted]
    admin = _admin_client(bootstrap, credentials, timeout=_LEADER_WAIT)
    try:
        await admin.start()
        node = admin._client.get_random_node()  # any broker forwards ACLs to the controller
        response = await admin._client.send(node, _CreateAcls(creations))
        refused = [
            f"{acl}: {message or code}"
            for acl, (code, message) in zip(wanted, response.creation_responses, strict=True)
            if code
        ]
        if refused:
            raise AclCreationError("Kafka refused ACLs: " + "; ".join(refused))
        await _wait_until_enforced(admin, wanted)
    finally:
        await admin.close()
    return len(wanted)


async def _wait_until_enforced(
    admin: AIOKafkaAdminClient, wanted: list[Acl], *, held: bool = True
) -> None:
    """Wait until every broker's authorizer holds every rule (or, ``held=False``, none of
    them): the controller answers once they are committed, and each broker applies the
    metadata a moment later (a publish right after ``make up`` was seen refused)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _LEADER_WAIT
    for broker in admin._client.cluster.brokers():
        while True:
            rules = await _allow_rules(admin, broker.nodeId)
            if all((acl in rules) is held for acl in wanted):
                break
            if loop.time() >= deadline:
                state = "hold" if held else "still holds"
                raise AclCreationError(f"broker {broker.nodeId} does not {state} the ACLs in time")
            await asyncio.sleep(_RETRY_INTERVAL)


async def describe_acls(bootstrap: str, *, credentials: KafkaCredentials | None = None) -> set[Acl]:
    """Every ALLOW rule the cluster holds on a topic or a consumer group, whoever made it.

    DENY rules and rules on other resources (the cluster, transactional ids) are left out:
    Conveyor makes neither, so it never has a reason to remove one.
    """
    admin = _admin_client(bootstrap, credentials, timeout=_LEADER_WAIT)
    try:
        await admin.start()
        return await _allow_rules(admin, admin._client.get_random_node())
    finally:
        await admin.close()


async def _allow_rules(admin: AIOKafkaAdminClient, node: int) -> set[Acl]:
    # Match any resource, pattern, principal, host, operation and permission.
    everything = DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY)
    described = await admin._client.send(node, everything)
    if described.error_code:
        raise AclCreationError(
            f"Kafka did not describe ACLs: {described.error_message or described.error_code}"
        )
    return {
        Acl(principal, Resource(kind), name, Pattern(pattern), Operation(operation), host)
        for kind, name, pattern, rules in described.resources
        if kind in set(Resource) and pattern in set(Pattern)
        for principal, host, operation, permission in rules
        if permission == _ALLOW
    }


async def delete_acls(
    bootstrap: str, acls: Iterable[Acl], *, credentials: KafkaCredentials | None = None
) -> int:
    """Delete exactly these ACLs and wait until no broker enforces them any more; how many
    were asked to go. For a throwaway namespace's rules, as its topics are deleted (each rule
    is a record of the cluster's metadata, kept until deleted), and for stale ones.

    Raises:
        AclCreationError: The broker refused a deletion, with its reason.
    """
    doomed = sorted(set(acls))
    if not doomed:
        return 0
    admin = _admin_client(bootstrap, credentials, timeout=_LEADER_WAIT)
    try:
        await admin.start()
        node = admin._client.get_random_node()
        response = await admin._client.send(node, _DeleteAcls([_wire(acl) for acl in doomed]))
        refused = [
            f"{acl}: {message or code}"
            for acl, (code, message, *_matches) in zip(
                doomed, response.filter_responses, strict=True
            )
            if code
        ]
        if refused:
            raise AclCreationError("Kafka refused to delete ACLs: " + "; ".join(refused))
        await _wait_until_enforced(admin, doomed, held=False)
    finally:
        await admin.close()
    return len(doomed)


def _wire(acl: Acl) -> tuple[int, str, int, str, str, int, int]:
    return (acl.resource, acl.name, acl.pattern, acl.principal, acl.host, acl.operation, _ALLOW)


class _DeleteAcls(DeleteAclsRequest):  # type: ignore[misc]  # aiokafka has no type hints
    """DeleteAcls with many filters (aiokafka's builds one); each filter here is one exact rule."""

    def __init__(self, filters: list[tuple[int, str, int, str, str, int, int]]) -> None:
        self._filters = filters

    def build(self, request_struct_class: type[DeleteAclsRequestStruct]) -> DeleteAclsRequestStruct:
        if request_struct_class.API_VERSION < 1:
            raise IncompatibleBrokerVersion("DeleteAcls v1 or later is needed")
        return request_struct_class(self._filters)


class _CreateAcls(CreateAclsRequest):  # type: ignore[misc]  # aiokafka has no type hints
    """CreateAcls carrying many rules: aiokafka's builds one rule per request, and a hundred
    requests at once each wait for their own metadata commit (seen to pass 5 s here)."""

    def __init__(self, creations: list[tuple[int, str, int, str, str, int, int]]) -> None:
        self._creations = creations

    def build(self, request_struct_class: type[CreateAclsRequestStruct]) -> CreateAclsRequestStruct:
        if request_struct_class.API_VERSION < 1:  # v0 has no pattern type (Kafka 4 has none)
            raise IncompatibleBrokerVersion("CreateAcls v1 or later is needed")
        return request_struct_class(self._creations)


def _admin_client(
    bootstrap: str, credentials: KafkaCredentials | None, timeout: float = _ATTEMPT_TIMEOUT
) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="conveyor-admin",
        request_timeout_ms=int(timeout * 1000),
        **client_options(credentials),
    )


async def reconcile_acls(
    bootstrap: str, specs: Iterable[Any], *, credentials: KafkaCredentials | None
) -> tuple[int, set[Acl]]:
    """Allow each principal what the registry says, and nothing else on the registry's topics
    and groups: the rules it derives are created (idempotent), the ALLOW rules on its
    resources it no longer derives are deleted; rules on other resources, and DENY rules, stay.
    Returns how many rules the registry derives and the rules deleted."""
    specs = list(specs)
    count = await ensure_acls(bootstrap, registry_acls(specs), credentials=credentials)
    stale = stale_acls(await describe_acls(bootstrap, credentials=credentials), specs)
    await delete_acls(bootstrap, stale, credentials=credentials)
    return count, stale


async def _provision(bootstrap: str, kafka_wait: float, passwords: dict[str, str]) -> None:
    admin = KafkaCredentials(ADMIN, SecretStr(passwords[ADMIN])) if passwords else None
    await wait_for_kafka(bootstrap, kafka_wait, credentials=admin)
    if admin:
        logins = {name: SecretStr(password) for name, password in passwords.items()}
        await kafka_users.ensure_scram_users(bootstrap, logins, credentials=admin)
    await ensure_topics(bootstrap, registry_topics(), credentials=admin)
    if admin:
        await reconcile_acls(bootstrap, registry_specs(), credentials=admin)


def main() -> None:
    """Wait for Kafka, then create every topic of the contracts' registry; on an authenticated
    broker first the users it lacks and then the registry's ACLs, as the admin."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for Kafka")
    parser.add_argument(
        "--credentials",
        type=Path,
        default=None,
        help="every principal's password (JSON: user -> password), admin included",
    )
    arguments = parser.parse_args()
    file = arguments.credentials
    passwords: dict[str, str] = json.loads(file.read_text()) if file else {}
    asyncio.run(_provision(arguments.bootstrap, arguments.timeout, passwords))


if __name__ == "__main__":
    main()
