"""Pytest fixtures for the tiers that need real servers (a plugin: ``pytest_plugins``).

Where the servers come from, in order:

1. ``CONVEYOR_TEST_KAFKA``, ``CONVEYOR_TEST_MONGO_URL``, ``CONVEYOR_TEST_OTLP`` and
   ``CONVEYOR_TEST_JAEGER`` when all are set (a shared or CI-provided stack);
2. testcontainers, when a Docker engine answers;
3. the project's local stack (``deploy/local/stack.py up``: Kafka, FerretDB, Jaeger).

When none works the session fails with what was tried; a missing server never skips a test.
Every test gets its own namespace: topic prefix, consumer groups and database names.
"""

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from conveyor_contracts.spec import TopicSpec
from conveyor_runtime.kafka_acl import ADMIN, Acl, registry_acls
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options, read_credentials
from conveyor_runtime.tokens import Issuer

SERVER_TIMEOUT = 120.0


@dataclass(frozen=True)
class Servers:
    """Where the real servers of this test session answer."""

    kafka: str
    mongo_url: str
    otlp: str
    jaeger: str
    origin: str  # "environment", "testcontainers" or "local stack": said in failure messages
    # On an authenticated Kafka: every principal's password (the local stack's credentials file).
    kafka_credentials: Path | None = None

    @property
    def kafka_login(self) -> "KafkaLogin":
        """How this session's clients log in to its Kafka (see the ``kafka_login`` fixture)."""
        return KafkaLogin(self.kafka, self.kafka_credentials)


def _from_environment() -> Servers | None:
    names = (
        "CONVEYOR_TEST_KAFKA",
        "CONVEYOR_TEST_MONGO_URL",
        "CONVEYOR_TEST_OTLP",
        "CONVEYOR_TEST_JAEGER",
    )
    values = [os.environ.get(name) for name in names]
    if not all(values):
        return None
    kafka, mongo_url, otlp, jaeger = (value or "" for value in values)
    credentials = os.environ.get("CONVEYOR_TEST_KAFKA_CREDENTIALS")
    return Servers(
        kafka,
        mongo_url,
        otlp,
        jaeger,
        origin="environment",
        kafka_credentials=Path(credentials) if credentials else None,
    )


def _docker_answers() -> bool:
    """Whether a Docker engine answers ``/_ping`` (a client without an engine is common)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return True  # a remote engine: let testcontainers try it and report what fails
    try:
        with socket.socket(socket.AF_UNIX) as engine:
            engine.settimeout(3)
            engine.connect(host.removeprefix("unix://"))
            engine.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b" 200 " in engine.recv(64)
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _from_testcontainers(stack: ExitStack) -> Servers:
    """Official images, as in deploy/compose.yaml. Exercised only where a Docker engine exists."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.mongodb import MongoDbContainer

    kafka_port = _free_port()  # fixed host port: Kafka must advertise the address clients use
    kafka = (
        DockerContainer("apache/kafka:4.1.1")
        .with_bind_ports(9092, kafka_port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{kafka_port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        )
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    )
    mongo = MongoDbContainer("mongo:7.0")
    jaeger = DockerContainer("jaegertracing/jaeger:2.13.0").with_exposed_ports(4318, 16686)
    for container in (kafka, mongo, jaeger):
        stack.enter_context(container)
    host = jaeger.get_container_host_ip()
    return Servers(
        kafka=f"127.0.0.1:{kafka_port}",
        mongo_url=mongo.get_connection_url(),
        otlp=f"http://{host}:{jaeger.get_exposed_port(4318)}",
        jaeger=f"http://{host}:{jaeger.get_exposed_port(16686)}",
        origin="testcontainers",
    )


def repository_root() -> Path:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "deploy" / "local" / "stack.py").is_file():
            return folder
    raise RuntimeError("run the tests from inside the Conveyor repository")


def _from_local_stack() -> Servers:
    """Start (or reuse) the local stack; it is idempotent, so a running stack costs one check."""
    root = repository_root()
    done = subprocess.run(
        [sys.executable, str(root / "deploy" / "local" / "stack.py"), "up"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`deploy/local/stack.py up` failed:\n{done.stdout}\n{done.stderr}")
    env = os.environ.get
    stack = local_stack().Settings.from_env()
    return Servers(
        kafka_credentials=stack.kafka_credentials_file if stack.kafka_auth else None,
        kafka=f"127.0.0.1:{env('CONVEYOR_KAFKA_PORT', '9092')}",
        mongo_url=f"mongodb://127.0.0.1:{env('CONVEYOR_MONGO_PORT', '27017')}/",
        otlp=f"http://127.0.0.1:{env('CONVEYOR_OTLP_HTTP_PORT', '4318')}",
        jaeger=f"http://127.0.0.1:{env('CONVEYOR_JAEGER_QUERY_PORT', '16686')}",
        origin="local stack",
    )


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The real Kafka, MongoDB-compatible database and Jaeger for this session."""
    with ExitStack() as stack:
        tried: list[str] = []
        found = _from_environment()
        if found is None:
            tried.append("CONVEYOR_TEST_* variables: not all set")
            try:
                found = _from_testcontainers(stack) if _docker_answers() else None
            except Exception as error:
                tried.append(f"testcontainers: {error}")
            else:
                if found is None:
                    tried.append("testcontainers: no Docker engine answers")
        if found is None:
            try:
                found = _from_local_stack()
            except Exception as error:
                tried.append(f"local stack: {error}")
        if found is None:
            pytest.fail("no Kafka/MongoDB/Jaeger for the tests. Tried:\n- " + "\n- ".join(tried))
        yield found


@pytest.fixture(scope="session")
def kafka_login(servers: Servers) -> "KafkaLogin":
    """How the session's clients log in to its Kafka (not at all when it does not authenticate):
    a test's own clients as the admin, a service under test as its own principal."""
    return servers.kafka_login


@pytest.fixture(scope="session")
async def kafka(servers: Servers, kafka_login: "KafkaLogin") -> str:
    """Bootstrap servers of a Kafka that answers metadata and a group coordinator."""
    from conveyor_runtime import kafka_admin

    try:
        await kafka_admin.wait_for_kafka(
            servers.kafka, timeout=SERVER_TIMEOUT, credentials=kafka_login.credentials()
        )
    except Exception as error:
        pytest.fail(f"Kafka from the {servers.origin} at {servers.kafka} is not ready: {error}")
    return servers.kafka


@dataclass(frozen=True)
class KafkaLogin:
    """A Kafka and how its principals log in: without a credentials file it does not
    authenticate, and every method gives what an unauthenticated client needs (nothing)."""

    bootstrap: str
    credentials_file: Path | None  # every principal's password, as the local stack makes them

    def credentials(self, user: str = ADMIN) -> KafkaCredentials | None:
        if self.credentials_file is None:
            return None
        return read_credentials(self.credentials_file, user)

    def options(self, user: str = ADMIN) -> dict[str, Any]:
        """aiokafka keyword arguments, bootstrap servers included, for ``user``."""
        return {"bootstrap_servers": self.bootstrap, **client_options(self.credentials(user))}

    def settings(self, service: str) -> dict[str, Any]:
        """``ServiceSettings`` fields that make ``service`` log in as its own principal."""
        login = self.credentials(service)
        if login is None:
            return {}
        return {"kafka_username": login.username, "kafka_password": login.password}

    def environment(self, service: str) -> dict[str, str]:
        """The same as ``<SERVICE>_KAFKA_*`` variables, for a service run as a process."""
        login = self.credentials(service)
        if login is None:
            return {}
        upper = service.upper()
        return {
            f"{upper}_KAFKA_USERNAME": login.username,
            f"{upper}_KAFKA_PASSWORD": login.password.get_secret_value(),
        }


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaLogin]:
    """A Kafka node with authentication and authorization on, started for this session in a
    stack home of its own on free ports and provisioned as ``make up`` does it (users at
    format time, the registry's topics and ACLs); stopped at the end."""
    stack = local_stack()
    base = _free_port_block(8)
    others = [field for field in stack.PORT_VARIABLES if "kafka" not in field]
    settings = stack.Settings(
        home=tmp_path_factory.mktemp("secured-stack"),
        kafka_port=base,
        kafka_controller_port=base + 1,
        kafka_auth=True,
        start_timeout=SERVER_TIMEOUT,
        **dict(zip(others, range(base + 2, base + 8), strict=True)),
    )
    [node] = stack.kafka_nodes(settings)
    try:
        stack.ensure_started(node)
        stack.wait_until_ready(node, settings.start_timeout)
        stack.provision_kafka(settings)
        yield KafkaLogin(settings.kafka_bootstrap(), settings.kafka_credentials_file)
    finally:
        stack.down(settings)


@cache
def local_stack() -> ModuleType:
    """``deploy/local/stack.py`` as a module (it is a script, not part of a package); loaded
    once, so every caller shares its classes."""
    path = repository_root() / "deploy" / "local" / "stack.py"
    spec = importlib.util.spec_from_file_location("conveyor_local_stack", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def _free_port_block(size: int) -> int:
    """The first of ``size`` consecutive free loopback ports below Linux's ephemeral range and
    away from the default stack's."""
    for base in range(24_000, 32_000, size):
        try:
            for port in range(base, base + size):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free loopback ports between 24000 and 32000")


@pytest.fixture
def namespace() -> str:
    """A prefix unique to this test for topics, consumer groups and databases."""
    return f"t{uuid.uuid4().hex[:10]}-"


@pytest.fixture(scope="session")
def token_issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    """A token issuer with two keys made for this session, nowhere else: an app built with
    ``jwks_path=token_issuer.jwks_path`` verifies ``token_issuer.bearer(role, subject)``."""
    return Issuer.at(tmp_path_factory.mktemp("tokens"))


def refused_bearers(issuer: Issuer) -> dict[str, dict[str, str]]:
    """What every API answers 401 to, by name: no token, an expired one, one forged (signed by
    a stranger's key under the name of one of ``issuer``'s), one of a key the set does not
    hold, one for another audience and one from another issuer."""
    stranger = Issuer.at(issuer.directory / "stranger", audience=issuer.audience)
    now = datetime.now(UTC).timestamp()
    forged = stranger.mint("operator", "opr_1").split(".")
    honest = issuer.mint("operator", "opr_1").split(".")
    other_issuer = Issuer(issuer.directory, issuer="someone-else", audience=issuer.audience)
    return {
        "missing": {},
        "expired": issuer.bearer("operator", "opr_1", now=now - 7200, ttl_seconds=3600),
        # The honest header (its kid) and claims, with the stranger's signature.
        "forged": {"Authorization": f"Bearer {honest[0]}.{honest[1]}.{forged[2]}"},
        "unknown key": {"Authorization": f"Bearer {'.'.join(forged)}"},
        "wrong audience": issuer.bearer("operator", "opr_1", audience="another-api"),
        "wrong issuer": other_issuer.bearer("operator", "opr_1"),
        "not a token": {"Authorization": "Bearer not-a-token"},
    }


CreateTopics = Callable[..., Awaitable[None]]


@pytest.fixture
async def create_topics(
    kafka: str, namespace: str, kafka_login: KafkaLogin
) -> AsyncIterator[CreateTopics]:
    """``await create_topics(spec, ...)`` creates each spec's topic and dead-letter topic here,
    and on an authenticated Kafka the registry's ACLs for them, moved to the namespace; the
    topics are deleted when the test ends."""

    from conveyor_runtime import kafka_admin

    admin = kafka_login.credentials()

    async def create(*specs: TopicSpec[Any]) -> None:
        wanted: dict[str, int] = {}
        for spec in specs:
            wanted[namespace + spec.name] = spec.partitions
            wanted[namespace + spec.dead_letter] = spec.partitions
        await kafka_admin.ensure_topics(kafka, wanted, credentials=admin)
        if admin is not None:
            acls = registry_acls(specs, namespace)
            await kafka_admin.ensure_acls(kafka, acls, credentials=admin)
            created.update(acls)

    created: set[Acl] = set()
    yield create
    await kafka_admin.delete_topics_with_prefix(kafka, namespace, credentials=admin)
    await kafka_admin.delete_acls(kafka, created, credentials=admin)


async def wait_for(
    check: Callable[[], Awaitable[object]], *, within: float = 30.0, interval: float = 0.2
) -> object:
    """Poll ``check`` until it returns something truthy; fail with a message at the deadline."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s: {check.__qualname__}")
        await asyncio.sleep(interval)


async def fetch_trace(
    jaeger: str, trace_id: str, *, expect_services: set[str], within: float = 30.0
) -> dict[str, Any]:
    """Fetch a trace from Jaeger's HTTP API once spans of every expected service have arrived.

    Exporters batch spans, so the trace fills in over a few seconds; flush providers first.
    """
    async with httpx.AsyncClient(base_url=jaeger, timeout=5.0) as client:

        async def complete() -> dict[str, Any] | None:
            response = await client.get(f"/api/traces/{trace_id}")
            if response.status_code != 200 or not response.json().get("data"):
                return None
            trace: dict[str, Any] = response.json()["data"][0]
            services = {process["serviceName"] for process in trace["processes"].values()}
            return trace if expect_services <= services else None

        return await wait_for(complete, within=within)  # type: ignore[return-value]


M = TypeVar("M", bound=BaseModel)


def from_example(model: type[M], **fields: Any) -> M:
    """A valid ``model`` message: its schema's first example, with a fresh event id and time,
    and ``fields`` replacing whatever the test cares about."""
    fresh = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat()}
    return model.model_validate(_first_example(model) | fresh | fields)


@cache
def _first_example(model: type[BaseModel]) -> dict[str, Any]:
    # Building a model's JSON Schema takes milliseconds: property tests make thousands of events.
    example: dict[str, Any] = model.model_json_schema()["examples"][0]
    return example


def collect(
    client: KafkaBroker, topics: Iterable[str], *, group: str
) -> asyncio.Queue[KafkaMessage]:
    """Every message of ``topics``, as received (bytes, key, headers), in a queue.

    One consumer reads them all: a consumer per topic in one group would rebalance the group at
    each member's join, a heartbeat apart. Register before ``client`` starts.
    """
    received: asyncio.Queue[KafkaMessage] = asyncio.Queue()

    async def raw(message: Any) -> Any:
        return message.body

    @client.subscriber(
        *topics, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.ACK, decoder=raw
    )
    async def on_message(body: bytes, message: KafkaMessage) -> None:
        await received.put(message)

    return received
