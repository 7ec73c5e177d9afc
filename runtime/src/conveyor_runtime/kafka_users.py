"""SCRAM-SHA-512 users on a running Kafka cluster: which exist, and creating the missing ones.

A new cluster gets its users when its storage is formatted (the local stack's ``kafka-storage
format --add-scram``); a principal the registry gains later (a new carrier) is created here, as
the admin, with the protocol's AlterUserScramCredentials request (KIP-554), which is what
``kafka-configs --alter --add-config 'SCRAM-SHA-512=[...]'`` sends. aiokafka has neither that
nor DescribeUserScramCredentials, so both requests are declared below from Kafka's own message
definitions (``clients/src/main/resources/common/message/*UserScramCredentials*.json``), with
aiokafka's protocol types. The client salts and hashes the password itself: only the salted
hash crosses the wire, and the broker stores it as ``kafka-configs`` would.
"""

import asyncio
import hashlib
import secrets
from collections.abc import Mapping

from aiokafka import AIOKafkaClient
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)
from pydantic import SecretStr

from conveyor_runtime.kafka_auth import KafkaCredentials, client_options

SCRAM_SHA_512 = 2  # the protocol's ScramMechanism code (1 is SCRAM-SHA-256)
# Kafka's default, and its minimum for SHA-512: each login costs the broker this many HMACs.
ITERATIONS = 4096
_TIMEOUT = 30.0
_RETRY_INTERVAL = 0.25


class ScramUserError(RuntimeError):
    """The broker refused to list or create a SCRAM user, or a new user never logged in."""


async def scram_users(bootstrap: str, *, credentials: KafkaCredentials | None) -> set[str]:
    """Every user with a SCRAM-SHA-512 credential on the cluster."""
    admin = _admin(bootstrap, credentials)
    try:
        await admin.start()
        return await _described(admin, admin._client.get_random_node())
    finally:
        await admin.close()


async def ensure_scram_users(
    bootstrap: str,
    passwords: Mapping[str, SecretStr],
    *,
    credentials: KafkaCredentials | None,
) -> list[str]:
    """Create each user of ``passwords`` the cluster does not have yet, with that password,
    and wait until each of them logs in on every broker. Existing users keep their password
    (rotating one is a deliberate act, not a side effect of provisioning).

    Returns:
        The users created, sorted.

    Raises:
        ScramUserError: A creation was refused, or a new user could not log in in time.
    """
    admin = _admin(bootstrap, credentials)
    try:
        await admin.start()
        existing = await _described(admin, admin._client.get_random_node())
        missing = sorted(set(passwords) - existing)
        if missing:
            upsertions = [_upsertion(name, passwords[name]) for name in missing]
            # Any broker forwards it to the active controller, as it does ACLs.
            response = await admin._client.send(
                admin._client.get_random_node(), _AlterUserScramCredentials(upsertions)
            )
            if refused := [
                f"{user}: {message or code}" for user, code, message, _ in response.results if code
            ]:
                raise ScramUserError("Kafka refused SCRAM users: " + "; ".join(refused))
            brokers = [f"{b.host}:{b.port}" for b in admin._client.cluster.brokers()]
    finally:
        await admin.close()
    for name in missing:
        login = KafkaCredentials(name, passwords[name])
        await asyncio.gather(*(_until_logs_in(broker, login) for broker in brokers))
    return missing


async def _described(admin: AIOKafkaAdminClient, node: int) -> set[str]:
    response = await admin._client.send(node, _DescribeUserScramCredentials())
    if response.error_code:
        raise ScramUserError(
            f"Kafka did not list SCRAM users: {response.error_message or response.error_code}"
        )
    return {
        user
        for user, code, _message, mechanisms, _tags in response.results
        if not code and any(mechanism == SCRAM_SHA_512 for mechanism, _, _ in mechanisms)
    }


# name, mechanism, iterations, salt, salted password, tagged fields
_Upsertion = tuple[str, int, int, bytes, bytes, dict[int, bytes]]


def _upsertion(name: str, password: SecretStr) -> _Upsertion:
    # RFC 5802's Hi() is PBKDF2 with the mechanism's HMAC and its full output length.
    salt = secrets.token_bytes(32)
    salted = hashlib.pbkdf2_hmac("sha512", password.get_secret_value().encode(), salt, ITERATIONS)
    return (name, SCRAM_SHA_512, ITERATIONS, salt, salted, {})


async def _until_logs_in(broker: str, login: KafkaCredentials) -> None:
    """A broker applies a new credential a moment after the controller commits it: wait until
    this one accepts the user's login (that is what its clients need, not the metadata)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _TIMEOUT
    while True:
        client = AIOKafkaClient(
            bootstrap_servers=broker, request_timeout_ms=5000, **client_options(login)
        )
        try:
            await client.bootstrap()
            return
        except KafkaError as error:
            if loop.time() >= deadline:
                raise ScramUserError(
                    f"{login.username} could not log in on {broker} within {_TIMEOUT:.0f}s: "
                    f"{error!r}"
                ) from error
        finally:
            await client.close()
        await asyncio.sleep(_RETRY_INTERVAL)


def _admin(bootstrap: str, credentials: KafkaCredentials | None) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="conveyor-admin",
        request_timeout_ms=int(_TIMEOUT * 1000),
        **client_options(credentials),
    )


# --- the two requests, version 0 (flexible: compact strings and arrays, tagged fields) ------


class _DescribeUserScramCredentialsResponse(Response):  # type: ignore[misc]  # aiokafka untyped here
    API_KEY = 50
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", CompactString("utf-8")),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                (
                    "credential_infos",
                    CompactArray(
                        ("mechanism", Int8), ("iterations", Int32), ("tags", TaggedFields)
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _DescribeUserScramCredentialsStruct(RequestStruct):  # type: ignore[misc]  # aiokafka untyped here
    FLEXIBLE_VERSION = True
    API_KEY = 50
    API_VERSION = 0
    RESPONSE_TYPE = _DescribeUserScramCredentialsResponse
    # A null list of users: every user.
    SCHEMA = Schema(
        ("users", CompactArray(("name", CompactString("utf-8")), ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _DescribeUserScramCredentials(Request[_DescribeUserScramCredentialsStruct]):  # type: ignore[misc]  # aiokafka untyped here
    API_KEY = 50

    def build(
        self, request_struct_class: type[_DescribeUserScramCredentialsStruct]
    ) -> _DescribeUserScramCredentialsStruct:
        return request_struct_class(None, {})


class _AlterUserScramCredentialsResponse(Response):  # type: ignore[misc]  # aiokafka untyped here
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentialsStruct(RequestStruct):  # type: ignore[misc]  # aiokafka untyped here
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterUserScramCredentialsResponse
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentials(Request[_AlterUserScramCredentialsStruct]):  # type: ignore[misc]  # aiokafka untyped here
    API_KEY = 51

    def __init__(self, upsertions: list[_Upsertion]) -> None:
        self._upsertions = upsertions

    def build(
        self, request_struct_class: type[_AlterUserScramCredentialsStruct]
    ) -> _AlterUserScramCredentialsStruct:
        return request_struct_class([], self._upsertions, {})  # no deletions
