"""Kafka ACLs on the broker, for the local stack, test fixtures and deployments.

- ``ensure_acls``: idempotent creation of ACLs (``conveyor_runtime.kafka_acl`` derives them);
  ``describe_acls`` reads the cluster's ALLOW rules back and ``delete_acls`` removes some
  (provisioning deletes those ``kafka_acl.stale_acls`` finds); ``reconcile_acls`` does both.

Each takes the caller's ``credentials`` (the admin principal on an authenticated broker).
"""

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import IncompatibleBrokerVersion
from aiokafka.protocol.admin import (
    CreateAclsRequest,
    CreateAclsRequestStruct,
    DeleteAclsRequest,
    DeleteAclsRequestStruct,
    DescribeAclsRequest,
)

from conveyor_runtime.kafka_acl import Acl, Operation, Pattern, Resource, registry_acls, stale_acls
from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_runtime.kafka_cluster import LEADER_WAIT, RETRY_INTERVAL, admin_client

_ALLOW = 3
_ANY = 1  # in a filter: any resource type, pattern type, operation or permission


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
    admin = admin_client(bootstrap, credentials, timeout=LEADER_WAIT)
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
    deadline = loop.time() + LEADER_WAIT
    for broker in admin._client.cluster.brokers():
        while True:
            rules = await _allow_rules(admin, broker.nodeId)
            if all((acl in rules) is held for acl in wanted):
                break
            if loop.time() >= deadline:
                state = "hold" if held else "still holds"
                raise AclCreationError(f"broker {broker.nodeId} does not {state} the ACLs in time")
            await asyncio.sleep(RETRY_INTERVAL)


async def describe_acls(bootstrap: str, *, credentials: KafkaCredentials | None = None) -> set[Acl]:
    """Every ALLOW rule the cluster holds on a topic or a consumer group, whoever made it.

    DENY rules and rules on other resources (the cluster, transactional ids) are left out:
    Conveyor makes neither, so it never has a reason to remove one.
    """
    admin = admin_client(bootstrap, credentials, timeout=LEADER_WAIT)
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
    admin = admin_client(bootstrap, credentials, timeout=LEADER_WAIT)
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
