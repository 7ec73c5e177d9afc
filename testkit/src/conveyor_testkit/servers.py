"""Where a test session's real servers come from, in order:

1. ``CONVEYOR_TEST_KAFKA``, ``CONVEYOR_TEST_MONGO_URL``, ``CONVEYOR_TEST_OTLP`` and
   ``CONVEYOR_TEST_JAEGER`` when all are set (a shared or CI-provided stack);
2. testcontainers, when a Docker engine answers;
3. the project's local stack (``python -m conveyor_local.stack up --wait-all``: Kafka, FerretDB
   and Jaeger, waiting for Jaeger's first build too: the tracing tests need it).
"""

import os
import socket
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from conveyor_local.stack.jaeger import JAEGER_RELEASE
from conveyor_local.stack.settings import Settings
from conveyor_testkit.logins import KafkaLogin

SERVER_TIMEOUT = 120.0
# The local stack's command line, which only the repository's checkout has.
LOCAL_STACK = Path("deploy", "local", "src", "conveyor_local", "stack", "__main__.py")


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
    def kafka_login(self) -> KafkaLogin:
        """How this session's clients log in to its Kafka (see the ``kafka_login`` fixture)."""
        return KafkaLogin(self.kafka, self.kafka_credentials)


def from_environment() -> Servers | None:
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


def docker_answers() -> bool:
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


def from_testcontainers(stack: ExitStack) -> Servers:
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
    jaeger = DockerContainer(f"jaegertracing/jaeger:{JAEGER_RELEASE}")
    jaeger.with_exposed_ports(4318, 16686)
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
        if (folder / LOCAL_STACK).is_file():
            return folder
    raise RuntimeError("run the tests from inside the Conveyor repository")


def from_local_stack() -> Servers:
    """Start (or reuse) the local stack; it is idempotent, so a running stack costs one check.
    Jaeger too: ``--wait-all`` waits for its first build, which ``up`` alone leaves running in
    the background."""
    root = repository_root()
    done = subprocess.run(
        [sys.executable, "-m", "conveyor_local.stack", "up", "--wait-all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"`python -m conveyor_local.stack up --wait-all` failed:\n{done.stdout}\n{done.stderr}"
        )
    env = os.environ.get
    stack = Settings.from_env()
    return Servers(
        kafka_credentials=stack.kafka_credentials_file if stack.kafka_auth else None,
        kafka=f"127.0.0.1:{env('CONVEYOR_KAFKA_PORT', '9092')}",
        mongo_url=f"mongodb://127.0.0.1:{env('CONVEYOR_MONGO_PORT', '27017')}/",
        otlp=f"http://127.0.0.1:{env('CONVEYOR_OTLP_HTTP_PORT', '4318')}",
        jaeger=f"http://127.0.0.1:{env('CONVEYOR_JAEGER_QUERY_PORT', '16686')}",
        origin="local stack",
    )


def free_port_block(size: int) -> int:
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
