"""The local stack without Docker: Apache Kafka (KRaft), FerretDB and Jaeger as plain processes.

    python deploy/local/stack.py up | down | status | logs       (make up / down / status / logs)

``up`` fetches or builds each server the first time (pinned versions, everything under the
git-ignored ``.cache/``), starts the ones not running yet in the background, waits until each one
really answers, then creates every topic of the contracts' registry. It is idempotent: a running,
healthy server is left alone, so a second ``up`` costs a few health checks. Tests may call
``up()`` from Python too; it returns where the servers answer.

Loopback only. Ports (defaults in brackets) can be moved with environment variables:
CONVEYOR_KAFKA_PORT [9092], CONVEYOR_KAFKA_CONTROLLER_PORT [9093], CONVEYOR_MONGO_PORT [27017],
CONVEYOR_OTLP_GRPC_PORT [4317], CONVEYOR_OTLP_HTTP_PORT [4318], CONVEYOR_JAEGER_QUERY_PORT
[16686], CONVEYOR_JAEGER_QUERY_GRPC_PORT [16685], CONVEYOR_JAEGER_HEALTH_PORT [13133];
CONVEYOR_STACK_HOST [127.0.0.1]; CONVEYOR_STACK_START_TIMEOUT [120] seconds per server.

CONVEYOR_KAFKA_BROKERS [1]: how many Kafka nodes, each both broker and controller (KRaft
combined mode), node ids 1..N, every node a voter of the controller quorum. 1 is the default
stack, whose node is called ``kafka``; 3 (tested) makes a cluster of ``kafka-1``..``kafka-3``
that loses nothing and keeps accepting acks=all writes with one node down (up to 5 work). Node
i listens on CONVEYOR_KAFKA_PORT + 2(i-1) for clients and CONVEYOR_KAFKA_CONTROLLER_PORT +
2(i-1) for the quorum: 9092/9093, 9094/9095, 9096/9097 by default. The internal topics, the
broker defaults and the registry's topics get min(3, N) copies and min(2, N) in sync;
``Endpoints.kafka`` lists every node. ``make up CONVEYOR_KAFKA_BROKERS=3`` works too.

CONVEYOR_KAFKA_AUTH [scram]: every Kafka listener authenticates (SASL/SCRAM-SHA-512 for clients
and between brokers) and authorizes (KRaft's StandardAuthorizer, nothing allowed without an
ACL); ``none`` runs it open, as a plain development broker. The first ``up`` generates a
password per principal (``admin``, ``broker`` and every actor of the registry) into the stack
home's kafka/credentials.json, creates the users when it formats the storage, and every ``up``
creates the users the registry gained since (as the admin), applies the registry's ACLs and
deletes those on the registry's topics and groups that it no longer derives
(``conveyor_runtime.kafka_acl``). See docs/security.md.

CONVEYOR_STACK_HOME [.cache; a relative path is taken from the repository root]: where one
stack keeps its state: run/ (pid files, the lock), data/, logs/ and kafka/ (each node's
generated server.properties). A second stack with its own home and ports runs beside the
default one without touching it; the installed servers (.cache/bin, .cache/kafka/libs, Go's
caches) stay shared. A process belongs to the stack whose run/ directory it was started in.

From Python, e.g. a chaos runner with its own three-node stack::

    settings = Settings(kafka_brokers=3, home=Path(...), kafka_port=29092, ...every port...)
    endpoints = up(settings)
    node = kafka_nodes(settings)[1]         # or any of all_servers(settings)
    os.kill(running_pid(node), signal.SIGKILL)
    start_server(node)                      # starts it again and waits until it answers
    down(settings)

Needs Java 17+ with Maven (Kafka) and Go 1.24+ (FerretDB, Jaeger) on PATH, and this workspace's
Python environment (aiokafka, pymongo).
"""

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import stat
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TextIO

import pymongo
import pymongo.errors
from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaError
from pydantic import SecretStr

from conveyor_runtime import kafka_admin, kafka_users
from conveyor_runtime.kafka_acl import ADMIN, BROKER, registry_actors
from conveyor_runtime.kafka_auth import (
    KafkaCredentials,
    client_options,
    read_credentials,
)
from conveyor_runtime.kafka_secrets import broker_security, format_user, with_new_passwords

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "deploy" / "local"
CACHE = ROOT / ".cache"  # installed servers, shared by every stack home; the default home
BIN_DIR = CACHE / "bin"
# The default stack home's directories; a Settings.home has its own (Settings.data_dir, ...).
DATA_DIR = CACHE / "data"
LOG_DIR = CACHE / "logs"
RUN_DIR = CACHE / "run"

MAX_KAFKA_BROKERS = 5

FERRETDB_VERSION = "v1.24.2"
JAEGER_VERSION = "v1.76.0"  # the Go module's tag; the program calls itself Jaeger 2.13
# Kafka and log4j versions are pinned in deploy/local/kafka/pom.xml.

PROBE_INTERVAL = 0.2
LOG_TAIL_LINES = 20


class StackError(RuntimeError):
    """Something the person running the stack has to act on; the message says what and where."""


@dataclass(frozen=True)
class Settings:
    """Where the servers listen, how many Kafka nodes, where the stack lives, how long each
    server may take to start."""

    host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    mongo_port: int = 27017
    otlp_grpc_port: int = 4317
    otlp_http_port: int = 4318
    jaeger_query_port: int = 16686
    jaeger_query_grpc_port: int = 16685
    jaeger_health_port: int = 13133
    start_timeout: float = 120.0
    kafka_brokers: int = 1
    home: Path = CACHE
    kafka_auth: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.kafka_brokers <= MAX_KAFKA_BROKERS:
            raise StackError(
                f"CONVEYOR_KAFKA_BROKERS={self.kafka_brokers}: give 1 to {MAX_KAFKA_BROKERS} "
                "(1 is the default stack, 3 the tested cluster)"
            )
        ports = self.all_ports()
        if clashes := sorted({port for port in ports if ports.count(port) > 1}):
            raise StackError(
                f"port(s) {', '.join(map(str, clashes))} given to two servers: Kafka node i "
                "takes CONVEYOR_KAFKA_PORT + 2(i-1) and CONVEYOR_KAFKA_CONTROLLER_PORT + 2(i-1)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Defaults, overridden by the CONVEYOR_* variables listed in the module docstring."""
        numbers = {
            field: _integer(env, variable)
            for field, variable in {**PORT_VARIABLES, "kafka_brokers": BROKERS_VARIABLE}.items()
            if env.get(variable)
        }
        home = Path(env.get("CONVEYOR_STACK_HOME") or cls.home)
        auth = env.get(AUTH_VARIABLE) or ("scram" if cls.kafka_auth else "none")
        if auth not in ("scram", "none"):
            raise StackError(f"{AUTH_VARIABLE}={auth!r}: give scram or none")
        return cls(
            kafka_auth=auth == "scram",
            host=env.get("CONVEYOR_STACK_HOST") or cls.host,
            start_timeout=float(env.get("CONVEYOR_STACK_START_TIMEOUT") or cls.start_timeout),
            home=(ROOT / home).resolve(),  # an absolute home stays as it is
            **numbers,
        )

    def port_variables(self) -> dict[str, str]:
        """The CONVEYOR_* port variables with the values in force (jaeger.yaml reads them)."""
        values = {variable: str(getattr(self, field)) for field, variable in PORT_VARIABLES.items()}
        return {**values, "CONVEYOR_STACK_HOST": self.host}

    def kafka_node_ports(self, node: int) -> tuple[int, int]:
        """Kafka node ``node``'s (1..N) client and controller ports; every node a step of 2
        above the one before, so the default pair 9092/9093 interleaves: 9094/9095, ..."""
        step = 2 * (node - 1)
        return self.kafka_port + step, self.kafka_controller_port + step

    def kafka_bootstrap(self) -> str:
        """Every Kafka node's client address, as bootstrap servers."""
        return ",".join(
            f"{self.host}:{self.kafka_node_ports(node)[0]}"
            for node in range(1, self.kafka_brokers + 1)
        )

    def all_ports(self) -> list[int]:
        kafka = [port for n in range(self.kafka_brokers) for port in self.kafka_node_ports(n + 1)]
        others = [getattr(self, field) for field in PORT_VARIABLES if "kafka" not in field]
        return kafka + others

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def kafka_credentials_file(self) -> Path:
        """Every principal's generated password (with authentication on): see kafka_auth."""
        return self.home / "kafka" / "credentials.json"

    def kafka_admin(self) -> KafkaCredentials | None:
        """The provisioning principal, or None on a stack without authentication."""
        if not self.kafka_auth:
            return None
        return read_credentials(self.kafka_credentials_file, ADMIN)


def _integer(env: Mapping[str, str], variable: str) -> int:
    try:
        return int(env[variable])
    except ValueError:
        raise StackError(f"{variable}={env[variable]!r} is not a whole number") from None


BROKERS_VARIABLE = "CONVEYOR_KAFKA_BROKERS"
AUTH_VARIABLE = "CONVEYOR_KAFKA_AUTH"
PORT_VARIABLES = {
    "kafka_port": "CONVEYOR_KAFKA_PORT",
    "kafka_controller_port": "CONVEYOR_KAFKA_CONTROLLER_PORT",
    "mongo_port": "CONVEYOR_MONGO_PORT",
    "otlp_grpc_port": "CONVEYOR_OTLP_GRPC_PORT",
    "otlp_http_port": "CONVEYOR_OTLP_HTTP_PORT",
    "jaeger_query_port": "CONVEYOR_JAEGER_QUERY_PORT",
    "jaeger_query_grpc_port": "CONVEYOR_JAEGER_QUERY_GRPC_PORT",
    "jaeger_health_port": "CONVEYOR_JAEGER_HEALTH_PORT",
}


@dataclass(frozen=True)
class Endpoints:
    """Where the running stack answers, as clients and test fixtures need it."""

    kafka: str
    mongo_url: str
    otlp_http: str
    otlp_grpc: str
    jaeger: str
    # Every principal's password when Kafka authenticates (the stack's credentials file).
    kafka_credentials: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> "Endpoints":
        host = settings.host
        return cls(
            kafka=settings.kafka_bootstrap(),
            mongo_url=f"mongodb://{host}:{settings.mongo_port}/",
            otlp_http=f"http://{host}:{settings.otlp_http_port}",
            otlp_grpc=f"http://{host}:{settings.otlp_grpc_port}",
            jaeger=f"http://{host}:{settings.jaeger_query_port}",
            kafka_credentials=settings.kafka_credentials_file if settings.kafka_auth else None,
        )

    def kafka_login(self, user: str = ADMIN) -> KafkaCredentials | None:
        """How ``user`` logs in to this Kafka (None: it does not authenticate). The tools (the
        demo's observer, the auditor, the fault injector) are the admin."""
        if self.kafka_credentials is None:
            return None
        return read_credentials(self.kafka_credentials, user)


# --- the servers ----------------------------------------------------------------------------


class Server:
    """One background server: how to install, configure, start and probe it."""

    name: str
    stop_grace: float = 15.0  # seconds between SIGTERM and SIGKILL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        """Where the process's own output goes."""
        return self.settings.log_dir / f"{self.name}.log"

    def log_files(self) -> list[Path]:
        """Every log worth reading when this server misbehaves."""
        return [self.log_file]

    def ports(self) -> dict[str, int]:
        """What listens where, by purpose."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def installed(self) -> bool:
        raise NotImplementedError

    def install(self) -> None:
        """Fetch or build the pinned version (the slow first run)."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Write configuration and data directories before a start."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def owns(self, command_line: list[str]) -> bool:
        """Whether a process with this command line runs this server: tells it from a program
        that reuses the pid, another clone's stack, or an editor open on a file. Which stack
        home it belongs to is told by its working directory (see ``running_pid``)."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def probe(self) -> str | None:
        """One quick readiness check: None when ready, else what is missing."""
        raise NotImplementedError


class Kafka(Server):
    """One Apache Kafka node, broker and controller in one process (KRaft combined mode), from
    Maven Central jars. The default stack has one, ``kafka``; a cluster ``kafka-1``..``kafka-N``.
    """

    stop_grace = 60.0  # killed, it would recover every partition's log on the next start

    pom = HERE / "kafka" / "pom.xml"
    properties_template = HERE / "kafka" / "server.properties"
    log4j_config = HERE / "kafka" / "log4j2.xml"
    libs = CACHE / "kafka" / "libs"
    # The class path is rebuilt whenever pom.xml changes: the stamp holds the pom's hash.
    libs_stamp = libs / ".pom.sha256"
    class_data_archive = libs / "kafka.jsa"

    def __init__(self, settings: Settings, node: int = 1) -> None:
        super().__init__(settings)
        self.node = node
        single = settings.kafka_brokers == 1
        self.name = "kafka" if single else f"kafka-{node}"
        self.port, self.controller_port = settings.kafka_node_ports(node)
        config = settings.home / "kafka"
        self.properties = config / ("server.properties" if single else f"{self.name}.properties")
        self.data = settings.data_dir / self.name

    def ports(self) -> dict[str, int]:
        return {"kafka": self.port, "controller": self.controller_port}

    def version(self) -> str:
        jars = sorted(self.libs.glob("kafka_2.13-*.jar"))
        return jars[0].stem.removeprefix("kafka_2.13-") if jars else "(not fetched)"

    @property
    def log_file(self) -> Path:
        """The JVM's own output: empty unless the JVM itself fails (log4j writes <name>.log)."""
        return self.settings.log_dir / f"{self.name}.out"

    def log_files(self) -> list[Path]:
        return [self.settings.log_dir / f"{self.name}.log", self.log_file]

    def installed(self) -> bool:
        return self.libs_stamp.is_file() and self.libs_stamp.read_text() == self._pom_hash()

    def install(self) -> None:
        require_tool("mvn", "Maven (with Java 17+) fetches the Kafka broker's jars")
        shutil.rmtree(self.libs, ignore_errors=True)  # no stale jars of an older pin
        run_logged(
            [
                "mvn",
                "--batch-mode",
                "-q",
                "-f",
                str(self.pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.libs}",
                f"-Dmaven.repo.local={CACHE / 'm2'}",
            ],
            what="fetching Kafka's jars with Maven",
            log=LOG_DIR / "install-kafka.log",
        )
        self.libs_stamp.write_text(self._pom_hash())

    def _pom_hash(self) -> str:
        return hashlib.sha256(self.pom.read_bytes()).hexdigest()

    def prepare(self) -> None:
        settings = self.settings
        if settings.kafka_auth:
            ensure_kafka_credentials(settings)
        self.write_properties()
        if not self.formatted():
            format_kafka_storage(settings)

    def write_properties(self) -> None:
        settings = self.settings
        quorum = ",".join(
            f"{settings.host}:{node.controller_port}" for node in kafka_nodes(settings)
        )
        template = string.Template(self.properties_template.read_text())
        self.properties.parent.mkdir(parents=True, exist_ok=True)
        self.properties.write_text(
            template.substitute(
                node_id=self.node,
                host=settings.host,
                kafka_port=self.port,
                controller_port=self.controller_port,
                controller_quorum=quorum,
                data_dir=self.data,
                replication_factor=min(3, settings.kafka_brokers),
                min_insync_replicas=min(2, settings.kafka_brokers),
                **self._security(),
            )
        )
        self.properties.chmod(0o600)  # it holds the broker's password when authenticating

    def _security(self) -> dict[str, str]:
        """The template's listener and security placeholders.

        Clients and brokers authenticate with SCRAM-SHA-512 on the client listener (inter-broker
        traffic too, as ``broker``). The controller listener uses SASL/PLAIN with a static
        ``broker`` user in its JAAS line: SCRAM users live in the metadata log, which a
        controller has not read yet when the quorum forms (KAFKA-15513). Authorization is
        KRaft's StandardAuthorizer, denying whatever no ACL allows; ``admin`` and ``broker`` are
        super users.
        """
        if not self.settings.kafka_auth:
            return {
                "client_listener": "PLAINTEXT",
                "controller_protocol": "PLAINTEXT",
                "security": "",
            }
        password = json.loads(self.settings.kafka_credentials_file.read_text())[BROKER]
        lines = broker_security(password)
        return {
            "client_listener": "SASL_PLAINTEXT",
            "controller_protocol": "SASL_PLAINTEXT",
            "security": "\n".join(["# Authentication and authorization (generated).", *lines]),
        }

    def formatted(self) -> bool:
        return (self.data / "meta.properties").is_file()

    def java(self) -> list[str]:
        """The JVM and its options, with the broker's class path (the storage tool's too)."""
        java_home = os.environ.get("JAVA_HOME")
        java = str(Path(java_home) / "bin" / "java") if java_home else "java"
        return [
            java,
            # The JVM default is a quarter of the machine's memory; 512m ran out with a few
            # thousand partitions (test namespaces are now deleted, but a run creates many).
            # A cluster's nodes only hold the registry's topics (a few hundred partitions).
            "-Xmx1536m" if self.settings.kafka_brokers == 1 else "-Xmx768m",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log4j_config}",
            f"-Dkafka.logs.dir={self.settings.log_dir}",
            f"-Dconveyor.kafka.node={self.name}",
            "-cp",
            f"{self.libs}/*",
        ]

    def command(self) -> list[str]:
        return [*self.java(), self._class_data_sharing(), "kafka.Kafka", str(self.properties)]

    def _class_data_sharing(self) -> str:
        """Class-data sharing: a broker run records the classes it loaded into an archive when
        it stops cleanly; later starts map that archive and are ready about twice as fast
        (5.4 s -> 2.8 s measured here). A JDK or class path change just makes the JVM ignore
        the archive, and reinstalling the jars deletes it.

        The archive is shared by every node of every stack home, which may start and stop
        together, and the JVM writes it in place at exit (a second writer, or a reader while
        it writes, would see a mix). So each node records into its own file, and a later start
        publishes a recording only once the JVM itself maps it, by an atomic rename: readers
        only ever see a complete archive, and once there is one nobody records again.
        """
        archive = self.class_data_archive
        recording = archive.with_name(f"{archive.name}.{self._home_digest()}-{self.name}")
        if not archive.is_file() and recording.is_file():
            if self._maps(recording):
                recording.replace(archive)
            else:  # killed while it wrote; record again
                recording.unlink()
        if archive.is_file():
            return f"-XX:SharedArchiveFile={archive}"
        return f"-XX:ArchiveClassesAtExit={recording}"

    def _home_digest(self) -> str:
        return hashlib.sha256(str(self.settings.home).encode()).hexdigest()[:8]

    def _maps(self, archive: Path) -> bool:
        # -Xshare:on fails instead of running without the archive when it cannot be used.
        check = [*self.java(), "-Xshare:on", f"-XX:SharedArchiveFile={archive}", "-version"]
        return subprocess.run(check, capture_output=True, check=False).returncode == 0

    def owns(self, command_line: list[str]) -> bool:
        return command_line[-2:] == ["kafka.Kafka", str(self.properties)]

    def probe(self) -> str | None:
        try:
            # timeout 0: a single attempt, the caller owns the deadline
            asyncio.run(
                kafka_admin.wait_for_kafka(
                    f"{self.settings.host}:{self.port}",
                    timeout=0,
                    credentials=self.settings.kafka_admin(),
                )
            )
        except kafka_admin.KafkaNotReadyError as error:
            return str(error)
        return None


def kafka_nodes(settings: Settings) -> list[Kafka]:
    """The stack's Kafka nodes, node 1 first."""
    return [Kafka(settings, node) for node in range(1, settings.kafka_brokers + 1)]


def format_kafka_storage(settings: Settings) -> None:
    """Give every node of a new cluster the same cluster id and the same controller voters.

    One node is formatted as the only voter (``--standalone``). In a cluster every node is an
    initial voter (``--initial-controllers``, the same list on every node, each with its log
    directory's id), the way the Kafka documentation bootstraps a quorum of several
    controllers. Only a wholly new cluster is formatted: a node that lost its storage while
    others kept theirs must not come back as a voter with an empty log.
    """
    nodes = kafka_nodes(settings)
    if formatted := [node.name for node in nodes if node.formatted()]:
        empty = [node.data for node in nodes if not node.formatted()]
        raise StackError(
            f"{', '.join(map(str, empty))} lost its Kafka storage while {', '.join(formatted)} "
            "kept theirs; it cannot rejoin the quorum empty. Stop the stack and delete every "
            "node's data directory to start an empty cluster."
        )
    for node in nodes:
        node.write_properties()
    if len(nodes) == 1:
        quorum = ["--standalone"]
    else:
        voters = (f"{n.node}@{settings.host}:{n.controller_port}:{new_kafka_id()}" for n in nodes)
        quorum = ["--initial-controllers", ",".join(voters)]
    cluster_id = new_kafka_id()
    # Every principal's SCRAM credential goes into the new cluster's first metadata, so the
    # brokers and the admin can authenticate from the first start (later users are created by
    # the admin: create_scram_users).
    scram_users = [
        argument
        for name, password in (
            json.loads(settings.kafka_credentials_file.read_text()).items()
            if settings.kafka_auth
            else []
        )
        for argument in ("--add-scram", format_user(name, password))
    ]
    formats = [
        (
            [
                *node.java(),
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                cluster_id,
                "--config",
                str(node.properties),
                *quorum,
                *scram_users,
                "--ignore-formatted",
            ],
            f"formatting {node.name}'s storage",
            settings.log_dir / f"{node.name}-format.log",
        )
        for node in nodes
    ]
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(len(formats)) as pool:
        for done in [pool.submit(run_logged, *arguments) for arguments in formats]:
            done.result()  # re-raises the StackError of a failed format


def refuse_other_kafka_security(settings: Settings) -> None:
    """Refuse at once, rather than time out on handshakes, when the Kafka data or a running node
    was made for the other setting of CONVEYOR_KAFKA_AUTH."""
    wanted = "scram" if settings.kafka_auth else "none"
    for node in kafka_nodes(settings):
        if (
            settings.kafka_auth
            and node.formatted()
            and not settings.kafka_credentials_file.exists()
        ):
            raise StackError(
                f"{node.data} was formatted without authentication, so it holds no SCRAM user; "
                f"{AUTH_VARIABLE}=scram needs a new one: stop the stack (make down), delete "
                f"{shown(settings.data_dir)}/kafka* (development data only) and run make up again "
                f"(authentication is the default; {AUTH_VARIABLE}=none keeps the broker open)"
            )
        if running_pid(node) is not None and node.properties.is_file():
            runs_scram = "SASL_PLAINTEXT://" in node.properties.read_text()
            if runs_scram != settings.kafka_auth:
                raise StackError(
                    f"{node.name} runs {'with' if runs_scram else 'without'} authentication; stop "
                    f"the stack (make down) before make up with {AUTH_VARIABLE}={wanted}"
                )


def ensure_kafka_credentials(settings: Settings) -> list[str]:
    """Generate a password for each principal that has none yet: the admin, the brokers' own,
    and every actor of the registry (services, carriers, checkout, warehouse, payments).
    Returns the principals added.

    Before the first format every user goes into the new cluster's first metadata. A
    principal the registry gains after that (a new carrier) gets its password here too, and
    ``provision_kafka`` creates its user on the running cluster.
    """
    path = settings.kafka_credentials_file
    wanted = [ADMIN, BROKER, *registry_actors(kafka_admin.registry_specs())]
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if missing := [name for name in wanted if name not in known]:
        known = with_new_passwords(known, missing)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a new file then renamed: a crash mid-write must not lose the
        # passwords of users that already exist on the cluster.
        partial = path.with_name(path.name + ".partial")
        partial.touch(mode=0o600)
        partial.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
        partial.replace(path)
    return missing


@dataclass(frozen=True)
class SourceFix:
    """A change to a pinned module's source, made before building it; ``why`` is kept with it.

    ``old`` must occur exactly ``count`` times, so a fix that no longer applies fails the build
    instead of silently building the unfixed server.
    """

    path: str  # inside the module
    old: str
    new: str
    why: str
    count: int = 1

    def apply(self, source: Path) -> None:
        file = source / self.path
        text = file.read_text()
        found = text.count(self.old)
        if found != self.count:
            raise StackError(
                f"source fix for {self.path} expects {self.count} occurrence(s) of {self.old!r}, "
                f"found {found}: the pinned version changed; review deploy/local/stack.py"
            )
        file.chmod(file.stat().st_mode | stat.S_IWUSR)  # copied from Go's read-only module cache
        file.write_text(text.replace(self.old, self.new))


class GoServer(Server):
    """A server built once from its Go module at a pinned version, into .cache/bin.

    Not with ``go install module/cmd/x@version``: Jaeger's go.mod has replace directives, which
    go install refuses, and FerretDB's binary panics at start without a version file that its
    release process generates. So the pinned module is downloaded from the module proxy, copied
    to .cache/build and built there as the main module: its own go.mod, go.sum and replace
    directives apply, and the generated files it expects are added to the copy.
    """

    module: str
    pinned: str
    program: str  # the main package's directory inside the module
    generated_files: ClassVar[Mapping[str, str]] = {}  # path inside the module -> content
    source_fixes: ClassVar[tuple[SourceFix, ...]] = ()

    def version(self) -> str:
        if self.source_fixes:
            return f"{self.pinned} with {len(self.source_fixes)} source fix(es)"
        return self.pinned

    @property
    def binary(self) -> Path:
        # The fixes' digest is part of the name: changing a fix rebuilds the server.
        fixes = repr(self.source_fixes).encode()
        suffix = f"-fixed-{hashlib.sha256(fixes).hexdigest()[:8]}" if self.source_fixes else ""
        return BIN_DIR / f"{self.name}-{self.pinned}{suffix}"

    def installed(self) -> bool:
        return self.binary.is_file()

    def install(self) -> None:
        require_tool("go", "Go 1.24+ builds FerretDB and Jaeger from the Go module proxy")
        workdir = CACHE / "build"
        workdir.mkdir(parents=True, exist_ok=True)
        source = workdir / f"{self.name}-{self.pinned}"
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(self._download(workdir), source)
        for relative, content in self.generated_files.items():
            (source / relative).write_text(content)
        for fix in self.source_fixes:
            fix.apply(source)
        partial = self.binary.with_name(self.binary.name + ".partial")  # not "installed" yet
        run_logged(
            # -buildvcs=false: the copy sits inside this repository, whose commit is not theirs.
            ["go", "build", "-buildvcs=false", "-o", str(partial), f"./{self.program}"],
            what=f"building {self.name} {self.pinned} with Go",
            log=LOG_DIR / f"install-{self.name}.log",
            cwd=source,
            env=go_environment(),
        )
        partial.rename(self.binary)

    def _download(self, workdir: Path) -> Path:
        """Fetch the pinned module into Go's module cache; returns its directory there."""
        downloaded = subprocess.run(
            ["go", "mod", "download", "-json", f"{self.module}@{self.pinned}"],
            cwd=workdir,
            env=go_environment(),
            capture_output=True,
            text=True,
        )
        if downloaded.returncode != 0:
            raise StackError(
                f"downloading {self.module}@{self.pinned} with Go failed:\n"
                f"{downloaded.stdout}{downloaded.stderr}"
            )
        return Path(json.loads(downloaded.stdout)["Dir"])

    def owns(self, command_line: list[str]) -> bool:
        # Any pinned version, so that `down` also stops one built before the pin changed.
        return bool(command_line) and command_line[0].startswith(str(BIN_DIR / f"{self.name}-"))


# The function the _id $in source fix adds to FerretDB's SQLite backend (see FerretDB below).
ID_IN_CLAUSE_GO = """\
// prepareIDInClause returns a WHERE clause that finds the _id values of an {$in: [...]}
// condition on _id through the _id index, with its arguments; an empty clause (no pushdown) for
// any other condition, and for lists with elements other than strings and ObjectIDs or with more
// than 1000 elements (SQLite limits the number of parameters of a statement).
func prepareIDInClause(cond *types.Document) (string, []any) {
	if cond.Len() != 1 {
		return "", nil
	}

	values, _ := cond.Get("$in")

	list, ok := values.(*types.Array)
	if !ok || list.Len() == 0 || list.Len() > 1000 {
		return "", nil
	}

	placeholders := make([]string, list.Len())
	args := make([]any, list.Len())

	for i := 0; i < list.Len(); i++ {
		v := must.NotFail(list.Get(i))

		switch v.(type) {
		case string, types.ObjectID:
		default:
			return "", nil
		}

		placeholders[i] = "?"
		args[i] = string(must.NotFail(sjson.MarshalSingleValue(v)))
	}

	in := strings.Join(placeholders, ", ")

	return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, in), args
}
"""


# The function the PostgreSQL _id source fix adds to FerretDB's PostgreSQL backend (see below).
PG_ID_IN_FILTER_GO = """\
// filterIDIn returns the SQL filter, with its arguments, that finds the _id values of an
// {$in: [...]} condition on _id through the _id index; an empty filter (no pushdown) for lists
// with elements other than strings and ObjectIDs, empty ones, or more than 1000 elements.
// Placeholders are taken only once the list is known to be pushed down.
func filterIDIn(p *metadata.Placeholder, v any) (string, []any) {
	list, ok := v.(*types.Array)
	if !ok || list.Len() == 0 || list.Len() > 1000 {
		return "", nil
	}

	args := make([]any, list.Len())

	for i := 0; i < list.Len(); i++ {
		e := must.NotFail(list.Get(i))

		switch e.(type) {
		case string, types.ObjectID:
		default:
			return "", nil
		}

		args[i] = string(must.NotFail(sjson.MarshalSingleValue(e)))
	}

	placeholders := make([]string, len(args))
	for i := range placeholders {
		placeholders[i] = p.Next()
	}

	return fmt.Sprintf(`%s IN (%s)`, metadata.IDColumn, strings.Join(placeholders, ", ")), args
}
"""


# Why the isolation fix exists, kept with the fix that adds the locks.
ISOLATION_WHY = (
    "update and findAndModify read a document, apply the operators in Go and write it back "
    "with no isolation (FerretDB issue #3040), and a filtered delete reads and checks before it "
    "deletes: of 50 concurrent 'take one if at least one is left' updates on 10 units, from two "
    "processes, 12-39 succeeded (tests/test_database_limits.py), and two upserts of one new _id "
    "could both insert (one failed with a duplicate key). MongoDB applies each single-document "
    "write atomically. These locks make each statement's read-modify-write atomic per document "
    "across clients: a filter with an _id equality locks that document (other documents of the "
    "collection go on in parallel), any other filter its collection. A lock in the handler "
    "serves both backends; a SQLite transaction cannot span the read and the write, which take "
    "two pooled connections. With it exactly 10 of 50 succeed, on SQLite and PostgreSQL. "
    "Measured with make bench-backends (3000 documents, each client on its own documents): "
    "no cost beyond the spread of alternating runs on a loaded machine; 8 clients of the "
    "versioned findAndModify 1010-1280/s and 0.42-0.52 ms of server CPU each before, "
    "1020-1320/s and 0.39-0.57 ms after; a bulk_write of 200 updates from 8 clients 48-65 ms "
    "of CPU per call before, 46-62 after. One lock per collection instead cut those to "
    "290-390 versioned updates/s at 1.0-1.3 ms, and to 3 bulk writes/s at 160 ms."
)

# What the isolation source fix adds to FerretDB's handler (see FerretDB below).
HANDLER_DOC = (
    "// Handler provides a set of methods to process clients' requests sent over wire protocol.\n"
)
WRITE_LOCKS_GO = """\
// writeLockStripes is the number of locks that lockWrites hashes collections and documents onto.
const writeLockStripes = 1024

// Write locks. The update, findAndModify and delete commands read the documents their filter
// matches, change or check them in Go and then write back by _id; without a lock two commands
// could both read one version of a document and both write (a lost update). They hold these
// locks from their read to their write. Insert reads nothing and needs none (the _id index
// refuses a duplicate). They serialise one FerretDB process, not several on one storage.
var (
	collectionWriteLocks [writeLockStripes]sync.RWMutex
	documentWriteLocks   [writeLockStripes]sync.Mutex
	writeLockSeed        = maphash.MakeSeed()
)

// lockWrites takes the write lock of what filter can match in db.collection and returns the
// function that releases it. A filter with an _id equality on a string or an ObjectID matches at
// most that document: its command shares the collection's lock with other such commands and
// holds the document's own lock. Any other filter holds the collection's lock exclusively.
// Collections or documents that hash onto the same stripe only wait for each other.
func lockWrites(db, collection string, filter *types.Document) func() {
	name := db + "." + collection
	coll := &collectionWriteLocks[maphash.String(writeLockSeed, name)%writeLockStripes]

	var id any
	if filter != nil {
		id, _ = filter.Get("_id")
	}

	var key string

	switch id := id.(type) {
	case string:
		key = name + "\\x00s" + id
	case types.ObjectID:
		key = name + "\\x00o" + string(id[:])
	default:
		coll.Lock()
		return coll.Unlock
	}

	doc := &documentWriteLocks[maphash.String(writeLockSeed, key)%writeLockStripes]

	coll.RLock()
	doc.Lock()

	return func() {
		doc.Unlock()
		coll.RUnlock()
	}
}
"""

# The update command's statement, run under its write lock by the isolation fix.
UPDATE_STATEMENT_GO = """\
// updateStatement runs one statement of an update command under the write lock of what its
// filter can match (lockWrites): the documents are read, changed and written back before
// another writer of them reads; the statement's read (and its pooled connection) is released
// before the next statement.
func (h *Handler) updateStatement(
	ctx context.Context, c backends.Collection, db, collection string,
	qp *backends.QueryParams, u *common.Update,
) (*common.UpdateResult, error) {
	defer lockWrites(db, collection, u.Filter)()

	res, err := c.Query(ctx, qp)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	closer := iterator.NewMultiCloser()
	defer closer.Close()

	closer.Add(res.Iter)

	iter := common.FilterIterator(res.Iter, closer, u.Filter)

	if !u.Multi {
		iter = common.LimitIterator(iter, closer, 1)
	}

	return common.UpdateDocument(ctx, c, "update", iter, u)
}
"""


class FerretDB(GoServer):
    """FerretDB: the MongoDB wire protocol over SQLite files (no transactions, see PITFALLS)."""

    name = "ferretdb"
    module = "github.com/FerretDB/FerretDB"
    program = "cmd/ferretdb"
    pinned = FERRETDB_VERSION
    # Its release process writes this file (`git describe`); without it the binary panics.
    generated_files: ClassVar[Mapping[str, str]] = {
        "build/version/version.txt": f"{FERRETDB_VERSION}\n"
    }
    source_fixes = (
        SourceFix(
            "internal/backends/sqlite/metadata/metadata.go",
            old='''DefaultColumn + "->'$._id'"''',
            new='''DefaultColumn + "->'_id'"''',
            why=(
                "Every collection's unique _id index is on sjson->'_id', but lookups, updates "
                "and deletes by _id filtered on sjson->'$._id'. The two mean the same, but "
                "SQLite matches index expressions by their text, so each of those statements "
                "parsed every document of the collection (a versioned update took 114 ms at "
                "3000 documents, 3.3 ms fixed). The PostgreSQL backend spells it ->'_id'."
            ),
        ),
        SourceFix(
            "internal/backends/sqlite/collection.go",
            old="if params.Filter.Len() == 1 {",
            new="if params.Filter.Len() > 0 {",
            count=2,  # Query and Explain
            why=(
                "A filter's _id equality was pushed down to SQLite only when it was the "
                "filter's one condition; {_id, version} (a conditional update) read and "
                "decoded the whole collection in Go. The top-level conditions are a "
                "conjunction and every caller filters the rows again, so pushing the _id "
                "condition down alone is correct."
            ),
        ),
        SourceFix(
            "internal/handler/msg_update.go",
            old="""\
		closer := iterator.NewMultiCloser()
		defer closer.Close()

		closer.Add(res.Iter)

		iter := common.FilterIterator(res.Iter, closer, u.Filter)

		if !u.Multi {
			iter = common.LimitIterator(iter, closer, 1)
		}

		result, err := common.UpdateDocument(ctx, c, "update", iter, &u)
""",
            new="""\
		closer := iterator.NewMultiCloser()

		closer.Add(res.Iter)

		iter := common.FilterIterator(res.Iter, closer, u.Filter)

		if !u.Multi {
			iter = common.LimitIterator(iter, closer, 1)
		}

		result, err := common.UpdateDocument(ctx, c, "update", iter, &u)

		// release this statement's read (and its pooled connection) before the next one
		closer.Close()
""",
            why=(
                "The update command closed each statement's read with a defer inside its loop, "
                "so every statement kept its pooled SQLite connection until the whole command "
                "ended. The pool holds 100: a bulk write of 100 updates waited forever for one "
                "more, and so did every later command on that database (99 took 0.3 s). Closed "
                "per statement, 500 updates in one call take 0.4 s, 0.8 ms and 0.7 ms of server "
                "CPU per update, as in chunks of 99. delete already closes per statement; insert "
                "reads nothing and findAndModify has one statement."
            ),
        ),
        SourceFix(
            "internal/backends/sqlite/collection.go",
            old="// Query implements backends.Collection interface.\n",
            new=ID_IN_CLAUSE_GO + "\n// Query implements backends.Collection interface.\n",
            why=(
                "An {$in: [...]} condition on _id was never pushed down: a lookup of a list of "
                "ids read and decoded every document of the collection (50 ids among 3000 "
                "documents: 340 ms, 320 ms of server CPU). This function turns a list of strings "
                "and ObjectIDs (at most 1000: SQLite bounds a statement's parameters) into an IN "
                "on sjson->'_id', the expression of the _id index; any other condition stays in "
                "Go as before. Every caller filters the rows again, so the IN only has to return "
                "a superset of the matches: 13 ms, 10 ms of server CPU."
            ),
        ),
        SourceFix(
            "internal/backends/sqlite/collection.go",
            old="""\
		case string, types.ObjectID:
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
""",
            new="""\
		case *types.Document:
			whereClause, args = prepareIDInClause(v.(*types.Document))
		case string, types.ObjectID:
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
""",
            why=(
                "Query pushes an {$in: [...]} condition on _id down with prepareIDInClause "
                "(above); an _id equality is pushed down as before."
            ),
        ),
        SourceFix(
            "internal/backends/sqlite/collection.go",
            old="""\
		case string, types.ObjectID:
			filterPushdown = true
""",
            new="""\
		case *types.Document:
			whereClause, args = prepareIDInClause(v.(*types.Document))
			filterPushdown = whereClause != ""
		case string, types.ObjectID:
			filterPushdown = true
""",
            why=(
                "Explain builds the same WHERE clause as Query, so that its plan and its "
                "filterPushdown show what a find by a list of ids runs."
            ),
        ),
        SourceFix(
            "internal/util/resource/resource.go",
            old="\tp.Add(token, 1)\n",
            new="\tif debugbuild.Enabled {\n\t\tp.Add(token, 1)\n\t}\n",
            why=(
                "Every iterator, query, transaction and closer (several per command) was added "
                "to a pprof profile of live objects, which records the caller's stack each time: "
                "7.7% of the server's CPU in a profile of 4 writers of update_one, 1.6% fixed. "
                "Only debug builds record it now; the profile is read only through the debug "
                "HTTP server, which this stack turns off, and the check that panics on an object "
                "never closed stays."
            ),
        ),
        SourceFix(
            "internal/backends/postgresql/query.go",
            old="""\
		// don't change the default eq query
		filter = fmt.Sprintf(sql, metadata.DefaultColumn, operator, p.Next(), p.Next())
		args = append(args, k, string(must.NotFail(sjson.MarshalSingleValue(v))))
""",
            new="""\
		if k == "_id" {
			filter = fmt.Sprintf(`%s = %s`, metadata.IDColumn, p.Next())
			args = append(args, string(must.NotFail(sjson.MarshalSingleValue(v))))

			return
		}

		// don't change the default eq query
		filter = fmt.Sprintf(sql, metadata.DefaultColumn, operator, p.Next(), p.Next())
		args = append(args, k, string(must.NotFail(sjson.MarshalSingleValue(v))))
""",
            why=(
                "The PostgreSQL backend indexes every collection's _id as _jsonb->'_id' (a "
                "unique btree) but filtered an _id equality as _jsonb->$1 @> $2: the key is a "
                "parameter, not the index's expression, and @> is no btree operator, so "
                "every lookup, update and delete by _id was a sequential scan that parsed every "
                "document. An _id equal to a string, ObjectID or date (the types of that case) "
                "is now compared with = on _jsonb->'_id', as the backend's own UpdateAll does; "
                "for JSON scalars = and @> agree. Measured with make bench-backends (3000 "
                "documents, one client): find_one by _id 4.8 -> 0.8 ms, 4.5 -> 0.7 ms of "
                "FerretDB + PostgreSQL CPU; a versioned update 6.9 -> 1.3 ms (6.1 -> 1.3); a "
                "bulk_write of 200 updates 1160 -> 110 ms (960 -> 130)."
            ),
        ),
        SourceFix(
            "internal/backends/postgresql/query.go",
            old="""\
				default:
					// $gt and $lt
""",
            new="""\
				case "$in":
					if rootKey == "_id" {
						if f, a := filterIDIn(p, v); f != "" {
							filters = append(filters, f)
							args = append(args, a...)
						}
					}

				default:
					// $gt and $lt
""",
            why=(
                "As the SQLite fix above: an {$in: [...]} condition on _id was never pushed "
                "down, so a lookup of a list of ids read every document. filterIDIn (the next "
                "fix) turns a list of strings and ObjectIDs into an IN on _jsonb->'_id', the "
                "_id index's expression; every caller filters the rows again. Measured: 100 ids "
                "among 3000 documents 290 -> 9 ms, 340 -> 10 ms of FerretDB + PostgreSQL CPU."
            ),
        ),
        SourceFix(
            "internal/backends/postgresql/query.go",
            old="// prepareOrderByClause returns ORDER BY clause",
            new=PG_ID_IN_FILTER_GO + "\n// prepareOrderByClause returns ORDER BY clause",
            why=(
                "Adds filterIDIn, which the fix above calls; its placeholders are numbered only "
                "once the whole list is known to be pushed down, so a list left to Go never "
                "leaves a gap in the statement's $n."
            ),
        ),
        SourceFix(
            "internal/handler/handler.go",
            old='\t"log/slog"\n\t"sync"\n',
            new='\t"hash/maphash"\n\t"log/slog"\n\t"sync"\n',
            why=(
                "lockWrites (the next fix) hashes a collection's and a document's names onto its "
                "stripes of locks with hash/maphash, which handler.go does not import yet."
            ),
        ),
        SourceFix(
            "internal/handler/handler.go",
            old=HANDLER_DOC,
            new=WRITE_LOCKS_GO + "\n" + HANDLER_DOC,
            why=ISOLATION_WHY,
        ),
        SourceFix(
            "internal/handler/msg_update.go",
            old="""\
		res, err := c.Query(ctx, &qp)
		if err != nil {
			return 0, 0, nil, lazyerrors.Error(err)
		}

		closer := iterator.NewMultiCloser()

		closer.Add(res.Iter)

		iter := common.FilterIterator(res.Iter, closer, u.Filter)

		if !u.Multi {
			iter = common.LimitIterator(iter, closer, 1)
		}

		result, err := common.UpdateDocument(ctx, c, "update", iter, &u)

		// release this statement's read (and its pooled connection) before the next one
		closer.Close()
""",
            new="""\
		result, err := h.updateStatement(ctx, c, params.DB, params.Collection, &qp, &u)
""",
            why=(
                "Each statement of an update command reads, changes and writes back under its "
                "write lock (lockWrites, updateStatement); its read is still closed before the "
                "next statement, as the bulk fix above made it."
            ),
        ),
        SourceFix(
            "internal/handler/msg_update.go",
            old="// updateDocument iterate through all documents in collection and update them.\n",
            new=UPDATE_STATEMENT_GO
            + "\n// updateDocument iterate through all documents in collection and update them.\n",
            why=(
                "Adds updateStatement, which the fix above calls: one statement's read, change and "
                "write-back, with its lock and its read released by defer even if it panics."
            ),
        ),
        SourceFix(
            "internal/handler/msg_findandmodify.go",
            old="""\
	cancel := func() {}
	if params.MaxTimeMS != 0 {
""",
            new="""\
	defer lockWrites(params.DB, params.Collection, params.Query)()

	cancel := func() {}
	if params.MaxTimeMS != 0 {
""",
            why=(
                "findAndModify finds, changes (or removes) and writes back one document under "
                "the write lock of what its query can match, so two of them never both apply "
                "to one version of the document."
            ),
        ),
        SourceFix(
            "internal/handler/msg_delete.go",
            old=(
                "func (h *Handler) execDelete(ctx context.Context, c backends.Collection, "
                "p *common.Delete) (int32, error) {\n"
            ),
            new="""\
func (h *Handler) execDelete(
	ctx context.Context, c backends.Collection, p *common.Delete, db, collection string,
) (int32, error) {
	defer lockWrites(db, collection, p.Filter)()

""",
            why=(
                "A delete statement reads the documents its filter matches, checks them in Go "
                "and deletes them by _id: under the write lock, a document that a concurrent "
                "update moves out of the filter is no longer deleted for the version it had."
            ),
        ),
        SourceFix(
            "internal/handler/msg_delete.go",
            old="d, err = h.execDelete(connCtx, c, &p)\n",
            new="d, err = h.execDelete(connCtx, c, &p, params.DB, params.Collection)\n",
            why=(
                "The delete command passes execDelete the database and collection names that the "
                "statement's write lock is keyed by (execDelete only gets the collection handle)."
            ),
        ),
    )

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.data = settings.data_dir / "ferretdb"
        self.state = settings.data_dir / "ferretdb-state"

    def ports(self) -> dict[str, int]:
        return {"mongodb": self.settings.mongo_port}

    def prepare(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "--handler=sqlite",
            # FerretDB itself adds busy_timeout(10000), journal_mode(wal) and auto_vacuum(none).
            # In WAL mode synchronous(NORMAL) syncs at checkpoints instead of at every commit: a
            # process crash loses nothing, a power cut may lose the last commits (never corrupts).
            # Measured: about one fsync less per write; 4 writers of update_one 420-680/s before,
            # 970-1750/s after, 1.0-1.2 -> 0.6-0.7 ms of server CPU per update.
            f"--sqlite-url=file:{self.data}/?_pragma=synchronous(NORMAL)",
            f"--listen-addr={self.settings.host}:{self.settings.mongo_port}",
            "--telemetry=disable",
            # Its state.json (instance id, telemetry choice) lands in the working directory
            # otherwise.
            f"--state-dir={self.state}",
            # The debug/metrics HTTP server would take 127.0.0.1:8088; nothing here reads it.
            "--debug-addr=-",
            # At warn it dumps every failed command in full, such as the endSessions (which it
            # lacks) that each PyMongo client sends on close. Lower it to investigate.
            "--log-level=error",
        ]

    def probe(self) -> str | None:
        client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
            host=self.settings.host,
            port=self.settings.mongo_port,
            serverSelectionTimeoutMS=1000,
            connectTimeoutMS=1000,
        )
        try:
            client.admin.command("ping")
        except pymongo.errors.PyMongoError as error:
            return f"no answer to ping: {error}"
        finally:
            client.close()
        return None


class Jaeger(GoServer):
    """Jaeger v2: OTLP receivers, in-memory trace storage, query UI/API (deploy/local/jaeger.yaml).

    The built binary has no UI assets (they come from a separate npm build): the page at the
    query port is a placeholder, while the HTTP API (/api/traces/...) works as usual.
    """

    name = "jaeger"
    module = "github.com/jaegertracing/jaeger"
    program = "cmd/jaeger"
    pinned = JAEGER_VERSION
    config = HERE / "jaeger.yaml"
    stop_grace = 10.0

    def ports(self) -> dict[str, int]:
        settings = self.settings
        return {
            "otlp-grpc": settings.otlp_grpc_port,
            "otlp-http": settings.otlp_http_port,
            "query": settings.jaeger_query_port,
            "query-grpc": settings.jaeger_query_grpc_port,
            "health": settings.jaeger_health_port,
        }

    def command(self) -> list[str]:
        return [str(self.binary), "--config", str(self.config)]

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.settings.port_variables()}

    def probe(self) -> str | None:
        url = f"http://{self.settings.host}:{self.settings.jaeger_health_port}/status"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                status: int = response.status
        except (urllib.error.URLError, OSError) as error:
            return f"GET {url}: {error}"
        return None if status == 200 else f"GET {url} answered {status}"


def all_servers(settings: Settings) -> list[Server]:
    """The stack's servers: its Kafka node(s), FerretDB and Jaeger."""
    # Kafka first: the JVM is the slowest to come up, the others start while it does.
    return [*kafka_nodes(settings), FerretDB(settings), Jaeger(settings)]


# --- commands -------------------------------------------------------------------------------


def up(settings: Settings | None = None) -> Endpoints:
    """Install what is missing, start what is not running, wait for all, create the topics.

    Args:
        settings: Ports and deadlines; from the environment when omitted.

    Returns:
        Where the servers answer.

    Raises:
        StackError: A server could not be installed, started or reached; the message names it
            and its log.
    """
    settings = settings or Settings.from_env()
    servers = all_servers(settings)
    with stack_lock(settings):
        refuse_outdated(servers)
        refuse_other_kafka_security(settings)
        install_missing(servers)
        started = {server.name for server in servers if ensure_started(server)}
        # In parallel, so that each reports its own start-up time.
        with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
            waits = [
                (server, pool.submit(wait_until_ready, server, settings.start_timeout))
                for server in servers
            ]
        for server, wait in waits:
            took = wait.result()  # re-raises the StackError of a server that never got ready
            if server.name in started:
                report(server.name, f"ready in {took:.1f}s  {describe_ports(server)}")
            else:
                report(server.name, f"already running (pid {running_pid(server)}), healthy")
        provision_kafka(settings)
    return Endpoints.of(settings)


def start_server(server: Server) -> float:
    """Start one server of a stack that is up, again (after a test killed it), and wait until
    it answers; a running one is only probed. Not while ``up`` or ``down`` runs in this process
    (they hold the stack's lock).

    Returns:
        Seconds waited for it to answer.

    Raises:
        StackError: It did not start or answer within the settings' start timeout.
    """
    with stack_lock(server.settings):
        ensure_started(server)
    return wait_until_ready(server, server.settings.start_timeout)


def down(settings: Settings | None = None) -> None:
    """Stop every server: SIGTERM, then SIGKILL for any still running after its grace period."""
    settings = settings or Settings.from_env()
    servers = all_servers(settings)
    with stack_lock(settings):
        stopping = {server.name: pid for server in servers if (pid := running_pid(server))}
        for server in servers:
            if server.name in stopping:
                os.kill(stopping[server.name], signal.SIGTERM)
            else:
                report(server.name, "not running")
                server.pid_file.unlink(missing_ok=True)
        for server in servers:
            if server.name in stopping:
                stop_gracefully(server, stopping[server.name])


def status(settings: Settings | None = None) -> bool:
    """Print what runs, with pid, ports and health. Returns whether everything is healthy."""
    all_healthy = True
    for server in all_servers(settings or Settings.from_env()):
        pid = running_pid(server)
        if pid is None:
            state, all_healthy = "stopped", False
        elif (problem := server.probe()) is None:
            state = f"running (pid {pid}), healthy"
        else:
            state, all_healthy = f"running (pid {pid}), NOT healthy: {problem}", False
        report(server.name, f"{server.version():10} {state}  {describe_ports(server)}")
    return all_healthy


def logs(settings: Settings | None = None, lines: int = LOG_TAIL_LINES) -> None:
    """Print where each server logs, and the last lines of each log."""
    for server in all_servers(settings or Settings.from_env()):
        for log in server.log_files():
            say(f"==> {shown(log)} <==\n{tail(log, lines) or '(empty)'}\n")


# --- installing -----------------------------------------------------------------------------


def refuse_outdated(servers: list[Server]) -> None:
    """A server that runs while its pinned version changed must be stopped before the new
    version is installed: its files (jars, binary) are about to be replaced under it."""
    if outdated := [
        server.name for server in servers if running_pid(server) and not server.installed()
    ]:
        raise StackError(
            f"{', '.join(outdated)} run(s) an older pinned version: `make down`, then `make up`."
        )


def install_missing(servers: list[Server]) -> None:
    """Fetch/build the servers not installed yet, in parallel (mostly downloads and compiles)."""
    if all(server.installed() for server in servers):
        return
    for directory in (BIN_DIR, LOG_DIR, CACHE / "kafka"):
        directory.mkdir(parents=True, exist_ok=True)
    # The installed servers are shared by every stack home: one installs, the others wait.
    with (CACHE / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _install(server for server in servers if not server.installed())


def _install(servers: Iterable[Server]) -> None:
    # One install per server: a cluster's Kafka nodes share their jars.
    missing = list({type(server): server for server in servers}.values())
    if not missing:
        return
    for server in missing:
        report(server.name, "installing (first run: several minutes; logs in .cache/logs)")
    with concurrent.futures.ThreadPoolExecutor(len(missing)) as pool:
        started = {server.name: time.monotonic() for server in missing}
        futures = {pool.submit(server.install): server for server in missing}
        for future in concurrent.futures.as_completed(futures):
            server = futures[future]
            future.result()  # re-raises the StackError of a failed install
            took = time.monotonic() - started[server.name]
            report(server.name, f"installed {server.version()} in {took:.0f}s")


def go_environment() -> dict[str, str]:
    """Go's module and build caches inside .cache, writable so that `rm -rf .cache` works."""
    go = CACHE / "go"
    return {
        **os.environ,
        "GOMODCACHE": str(go / "mod"),
        "GOCACHE": str(go / "build"),
        "GOPATH": str(go / "path"),
        "GOFLAGS": f"{os.environ.get('GOFLAGS', '')} -modcacherw".strip(),
    }


def require_tool(program: str, purpose: str) -> None:
    if shutil.which(program) is None:
        raise StackError(f"`{program}` is not on PATH. {purpose}.")


def run_logged(
    argv: list[str],
    what: str,
    log: Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run a setup command with its output appended to a log; fail with the log's tail."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as output:
        output.write(f"\n$ {' '.join(argv)}\n")
        output.flush()
        finished = subprocess.run(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    if finished.returncode != 0:
        raise StackError(
            f"{what} failed (exit {finished.returncode}); see {log}:\n{tail(log, LOG_TAIL_LINES)}"
        )


def new_kafka_id() -> str:
    """A random cluster or directory id in Kafka's format: 16 bytes, URL-safe base64 without
    padding."""
    while True:
        kafka_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not kafka_id.startswith("-"):  # Kafka avoids those too: they read as CLI flags
            return kafka_id


# --- starting and stopping ------------------------------------------------------------------


def ensure_started(server: Server) -> bool:
    """Start the server unless ours is already running. Returns whether it was started."""
    if running_pid(server) is not None:
        return False
    server.pid_file.unlink(missing_ok=True)  # stale: the process is gone
    if taken := ports_in_use(server):
        raise StackError(
            f"{server.name} cannot start: {', '.join(taken)} on {server.settings.host} already "
            f"answer(s), but not from the {server.name} this checkout started. Stop that program "
            "or move the stack with the CONVEYOR_*_PORT variables (see deploy/local/stack.py)."
        )
    settings = server.settings
    for directory in (settings.run_dir, settings.log_dir, settings.data_dir):
        directory.mkdir(parents=True, exist_ok=True)
    server.prepare()
    keep_previous_log(server.log_file)
    pid = spawn_detached(server.command(), server.log_file, server.environment(), settings.run_dir)
    server.pid_file.write_text(f"{pid}\n")
    report(server.name, f"started (pid {pid}), log {shown(server.log_file)}")
    return True


def spawn_detached(argv: list[str], log: Path, env: Mapping[str, str], cwd: Path) -> int:
    """Start ``argv`` in the background in its own session, output appended to ``log``.

    A shell starts it and exits at once, so the server is nobody's child here: it outlives
    this script, Ctrl-C on ``make up`` does not reach it, and no Popen object is left to warn
    that it is still running. It runs in ``cwd``, its stack's run/ directory: anything it
    writes next to itself stays there, and that is how its stack recognises it.

    Returns:
        The server's pid.
    """
    launcher = 'log="$1"; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
    launched = subprocess.run(
        ["sh", "-c", launcher, "launch", str(log), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    return int(launched.stdout)


def wait_until_ready(server: Server, timeout: float) -> float:
    """Probe until the server answers; fail early if its process dies, or at the deadline.

    Returns:
        Seconds waited.
    """
    started = time.monotonic()
    deadline = started + timeout
    while (problem := server.probe()) is not None:
        pid = running_pid(server)
        if pid is None:
            raise StackError(
                f"{server.name} is not running (it exited during startup?): {problem}"
                + log_excerpt(server)
            )
        if time.monotonic() >= deadline:
            raise StackError(
                f"{server.name} (pid {pid}) is not ready after {timeout:.0f}s: {problem}"
                + log_excerpt(server)
                + "\nIf it hangs, `make down` then `make up` restarts it."
            )
        time.sleep(PROBE_INTERVAL)
    return time.monotonic() - started


def stop_gracefully(server: Server, pid: int) -> None:
    """Wait for a process sent SIGTERM to exit; SIGKILL it after the server's grace period."""
    started = time.monotonic()
    while is_alive(pid) and time.monotonic() - started < server.stop_grace:
        time.sleep(PROBE_INTERVAL)
    if is_alive(pid):
        os.kill(pid, signal.SIGKILL)
        report(
            server.name, f"killed (pid {pid}): still running {server.stop_grace:.0f}s after SIGTERM"
        )
    else:
        report(server.name, f"stopped (pid {pid}) in {time.monotonic() - started:.1f}s")
    server.pid_file.unlink(missing_ok=True)


# --- processes ------------------------------------------------------------------------------
# Linux /proc: the project's machines and CI are Linux.


def running_pid(server: Server) -> int | None:
    """The pid of this stack's server if it runs (a stopped one, SIGSTOP, counts), from its
    pid file, or else found among the processes (the pid file may have been deleted), in which
    case the file is rewritten."""
    pid = read_pid(server)
    if pid is not None and runs(server, pid):
        return pid
    candidates = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    for candidate in candidates:
        if runs(server, candidate):
            server.settings.run_dir.mkdir(parents=True, exist_ok=True)
            server.pid_file.write_text(f"{candidate}\n")
            return candidate
    return None


def runs(server: Server, pid: int) -> bool:
    """Whether process ``pid`` is this server of this stack home. Two homes run the same
    binaries, and Jaeger's command line is the same in both, so the home is told by the
    working directory every server is started in (``spawn_detached``)."""
    return (
        server.owns(command_line(pid))
        and working_directory(pid) == server.settings.run_dir.resolve()
        and is_alive(pid)
    )


def read_pid(server: Server) -> int | None:
    try:
        return int(server.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_alive(pid: int) -> bool:
    """Running and not a zombie (an exited server waits for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or not ours to read
        return False
    state = stat.rsplit(")", 1)[1].split()[0]  # the name in parentheses may contain spaces
    return state not in ("Z", "X")


def working_directory(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:  # gone, or not ours to read
        return None


def command_line(pid: int) -> list[str]:
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # gone, or not ours to read
        return []
    return [argument.decode(errors="replace") for argument in arguments if argument]


def ports_in_use(server: Server) -> list[str]:
    host = server.settings.host
    return [
        f"{label} port {port}" for label, port in server.ports().items() if port_answers(host, port)
    ]


def port_answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


@contextlib.contextmanager
def stack_lock(settings: Settings) -> Iterator[None]:
    """One `up` or `down` at a time per stack home: parallel test sessions all call `up`."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    with (settings.run_dir / "stack.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# --- topics ---------------------------------------------------------------------------------


def wait_for_brokers(settings: Settings) -> None:
    """Wait until every Kafka node's own metadata lists every node as a broker.

    Each node is ready on its own and learns of the others' registrations a little later;
    topics get as many copies as the node asked counts brokers when they are created, and
    keep that number.
    """
    nodes = kafka_nodes(settings)
    deadline = time.monotonic() + settings.start_timeout
    while (seen := min(asyncio.run(brokers_seen_by(node)) for node in nodes)) < len(nodes):
        if time.monotonic() >= deadline:
            raise StackError(f"a Kafka node lists {seen} of {len(nodes)} brokers")
        time.sleep(PROBE_INTERVAL)


async def brokers_seen_by(node: Kafka) -> int:
    # The bootstrap metadata comes from the one node given: its view, not another's.
    client = AIOKafkaClient(
        bootstrap_servers=f"{node.settings.host}:{node.port}",
        request_timeout_ms=5000,
        **client_options(node.settings.kafka_admin()),
    )
    try:
        await client.bootstrap()
        return len(client.cluster.brokers())
    except (KafkaError, OSError):
        return 0
    finally:
        await client.close()


def provision_kafka(settings: Settings) -> None:
    """Once every node answers: the registry's topics, and when authenticating its users
    and ACLs."""
    wait_for_brokers(settings)
    if settings.kafka_auth:
        create_scram_users(settings)
    create_registry_topics(settings.kafka_bootstrap(), settings.kafka_admin())
    if settings.kafka_auth:
        apply_registry_acls(settings)


def create_scram_users(settings: Settings) -> None:
    """Every principal of the credentials file is a SCRAM user of the cluster: those the
    registry gained since the format (and so since the file was made) are created as the
    admin, and wait until every broker accepts their login."""
    ensure_kafka_credentials(settings)
    passwords = json.loads(settings.kafka_credentials_file.read_text())
    created = asyncio.run(
        kafka_users.ensure_scram_users(
            settings.kafka_bootstrap(),
            {name: SecretStr(password) for name, password in passwords.items()},
            credentials=settings.kafka_admin(),
        )
    )
    if created:
        report("users", f"created {', '.join(created)} (new since the format)")


def create_registry_topics(bootstrap: str, admin: KafkaCredentials | None = None) -> None:
    """Create every topic of the contracts' registry and its dead-letter topic (auto-create is
    off, so nothing else will)."""
    try:
        topics = kafka_admin.registry_topics()
    except ModuleNotFoundError as error:
        if error.name != "conveyor_contracts.topics":
            raise
        # Only while the registry module is being written: the servers are of use without it.
        report("topics", "WARNING: conveyor_contracts.topics does not exist yet, none created")
        return
    asyncio.run(kafka_admin.ensure_topics(bootstrap, topics, credentials=admin))
    report("topics", f"{len(topics)} present (the registry's topics and their .dlq companions)")


def apply_registry_acls(settings: Settings) -> None:
    """The registry's ACLs, and none it no longer derives (``kafka_admin.reconcile_acls``)."""
    bootstrap, admin = settings.kafka_bootstrap(), settings.kafka_admin()
    count, stale = asyncio.run(
        kafka_admin.reconcile_acls(bootstrap, kafka_admin.registry_specs(), credentials=admin)
    )
    for acl in sorted(stale):
        report("acls", f"deleted {acl} (no longer derived from the registry)")
    report("acls", f"{count} present (from the registry), SASL/SCRAM-SHA-512 on")


# --- output ---------------------------------------------------------------------------------


def report(name: str, message: str) -> None:
    say(f"{name:9} {message}")


def say(text: str, stream: TextIO = sys.stdout) -> None:
    stream.write(text + "\n")
    stream.flush()


def shown(path: Path) -> str:
    """A path inside the repository relative to it, as a person would type it; else whole."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def describe_ports(server: Server) -> str:
    host = server.settings.host
    return "  ".join(f"{label} {host}:{port}" for label, port in server.ports().items())


def tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 200 * lines))  # enough bytes for `lines` lines
            text = file.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def log_excerpt(server: Server) -> str:
    logged = [log for log in server.log_files() if tail(log, 1)]
    if not logged:
        return f"\n(nothing logged yet in {', '.join(map(str, server.log_files()))})"
    return "".join(f"\n--- last lines of {log} ---\n{tail(log, LOG_TAIL_LINES)}" for log in logged)


def keep_previous_log(log: Path) -> None:
    """Each start gets a fresh log; the previous run's stays beside it as <name>.1."""
    if log.is_file():
        log.replace(log.with_name(log.name + ".1"))


# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Conveyor's local stack: Kafka, FerretDB and Jaeger without Docker."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="install (first time), start and wait; create the topics")
    commands.add_parser("down", help="stop the servers cleanly")
    commands.add_parser("status", help="what runs where, and whether it answers")
    show_logs = commands.add_parser("logs", help="where the logs are, and their last lines")
    show_logs.add_argument("-n", "--lines", type=int, default=LOG_TAIL_LINES)
    arguments = parser.parse_args(argv)

    # aiokafka logs every refused connection while Kafka boots; the probes report what matters.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        if arguments.command == "up":
            up()
        elif arguments.command == "down":
            down()
        elif arguments.command == "status":
            return 0 if status() else 1
        else:
            logs(lines=arguments.lines)
    except StackError as error:
        say(f"error: {error}", sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
