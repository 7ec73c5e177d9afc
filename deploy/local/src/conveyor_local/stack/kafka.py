"""A Kafka node of the local stack: its configuration, its JVM, its probe, and the formatting
of a new cluster's storage."""

import asyncio
import base64
import concurrent.futures
import hashlib
import json
import os
import string
import subprocess
import uuid
from pathlib import Path

from conveyor_local.stack.install import run_logged
from conveyor_local.stack.kafka_build import KAFKA_FILES, KafkaBuild
from conveyor_local.stack.kafka_credentials import ensure_kafka_credentials
from conveyor_local.stack.settings import Settings, StackError
from conveyor_runtime.kafka_acl import BROKER
from conveyor_runtime.kafka_cluster import KafkaNotReadyError, wait_for_kafka
from conveyor_runtime.kafka_secrets import broker_security, format_user


class Kafka(KafkaBuild):
    """One Apache Kafka node, broker and controller in one process (KRaft combined mode), from
    Maven Central jars. The default stack has one, ``kafka``; a cluster ``kafka-1``..``kafka-N``.
    """

    stop_grace = 60.0  # killed, it would recover every partition's log on the next start

    properties_template = KAFKA_FILES / "server.properties"
    log4j_config = KAFKA_FILES / "log4j2.xml"

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

    @property
    def log_file(self) -> Path:
        """The JVM's own output: empty unless the JVM itself fails (log4j writes <name>.log)."""
        return self.settings.log_dir / f"{self.name}.out"

    def log_files(self) -> list[Path]:
        return [self.settings.log_dir / f"{self.name}.log", self.log_file]

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
                wait_for_kafka(
                    f"{self.settings.host}:{self.port}",
                    timeout=0,
                    credentials=self.settings.kafka_admin(),
                )
            )
        except KafkaNotReadyError as error:
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


def new_kafka_id() -> str:
    """A random cluster or directory id in Kafka's format: 16 bytes, URL-safe base64 without
    padding."""
    while True:
        kafka_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not kafka_id.startswith("-"):  # Kafka avoids those too: they read as CLI flags
            return kafka_id
