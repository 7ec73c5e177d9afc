"""The local stack's three-node Kafka cluster, in a stack home of its own beside the default one.

The settings and file layout are checked without servers; one test starts a whole second stack
(three Kafka nodes, FerretDB, Jaeger) on free ports and takes a broker away under acks=all.
"""

import asyncio
import os
import signal
import socket
import time
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from conveyor_local.stack.commands import all_servers, down, start_server, up
from conveyor_local.stack.install import run_logged
from conveyor_local.stack.kafka import Kafka, kafka_nodes
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import (
    CACHE,
    DATA_DIR,
    LOG_DIR,
    PORT_VARIABLES,
    ROOT,
    RUN_DIR,
    Endpoints,
    Settings,
    StackError,
)
from conveyor_local.stack.supervise import spawn_detached
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options
from conveyor_testkit import wait_for

TOPIC = "orders.lifecycle.v1"  # a registry topic: 3 copies, 2 in sync
DEADLINE = 60.0


# --- settings and layout, no servers --------------------------------------------------------


def test_the_default_stack_keeps_its_single_node_its_names_and_its_files() -> None:
    settings = Settings.from_env({})
    [kafka] = kafka_nodes(settings)
    assert settings.home == CACHE
    assert kafka.name == "kafka"
    assert kafka.ports() == {"kafka": 9092, "controller": 9093}
    assert kafka.properties == CACHE / "kafka" / "server.properties"
    assert kafka.data == DATA_DIR / "kafka"
    assert kafka.log_files() == [LOG_DIR / "kafka.log", LOG_DIR / "kafka.out"]
    assert kafka.pid_file == RUN_DIR / "kafka.pid"
    assert Endpoints.of(settings).kafka == "127.0.0.1:9092"


def test_cluster_nodes_take_every_other_port_and_are_all_bootstrap_servers() -> None:
    env = {"CONVEYOR_KAFKA_PORT": "29092", "CONVEYOR_KAFKA_CONTROLLER_PORT": "29093"}
    settings = Settings.from_env({**env, "CONVEYOR_KAFKA_BROKERS": "3"})
    nodes = kafka_nodes(settings)
    assert [node.name for node in nodes] == ["kafka-1", "kafka-2", "kafka-3"]
    assert [node.ports() for node in nodes] == [
        {"kafka": 29092, "controller": 29093},
        {"kafka": 29094, "controller": 29095},
        {"kafka": 29096, "controller": 29097},
    ]
    assert Endpoints.of(settings).kafka == "127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096"
    names = [server.name for server in all_servers(settings)]
    assert names == ["kafka-1", "kafka-2", "kafka-3", "ferretdb", "jaeger"]


def test_a_relative_stack_home_is_taken_from_the_repository_root() -> None:
    relative = Settings.from_env({"CONVEYOR_STACK_HOME": ".cache/chaos"})
    assert relative.home == ROOT / ".cache" / "chaos"
    assert relative.run_dir == ROOT / ".cache" / "chaos" / "run"
    absolute = Settings.from_env({"CONVEYOR_STACK_HOME": "/srv/conveyor-stack"})
    assert absolute.log_dir == Path("/srv/conveyor-stack/logs")


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"CONVEYOR_KAFKA_BROKERS": "0"}, "give 1 to 5"),
        ({"CONVEYOR_KAFKA_BROKERS": "three"}, "not a whole number"),
        # node 2's client port would be node 1's controller port
        ({"CONVEYOR_KAFKA_BROKERS": "3", "CONVEYOR_KAFKA_CONTROLLER_PORT": "9094"}, "9094"),
        ({"CONVEYOR_MONGO_PORT": "9093"}, "given to two servers"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_the_reason(
    env: dict[str, str], complaint: str
) -> None:
    with pytest.raises(StackError, match=complaint):
        Settings.from_env(env)


def test_each_node_of_a_cluster_gets_three_copies_two_in_sync_and_every_controller(
    tmp_path: Path,
) -> None:
    # Without authentication, so no credentials are needed to write it: what the cluster
    # adds is the same either way (the secured listeners are the ACL tests' subject).
    settings = Settings(kafka_brokers=3, home=tmp_path, kafka_auth=False)
    node = kafka_nodes(settings)[1]
    node.write_properties()
    written = dict(
        line.split("=", 1)
        for line in node.properties.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert node.properties == tmp_path / "kafka" / "kafka-2.properties"
    assert written["node.id"] == "2"
    assert written["listeners"] == "PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095"
    assert written["controller.quorum.bootstrap.servers"] == (
        "127.0.0.1:9093,127.0.0.1:9095,127.0.0.1:9097"
    )
    assert written["log.dirs"] == str(tmp_path / "data" / "kafka-2")
    for copies in ("default.replication.factor", "offsets.topic.replication.factor"):
        assert written[copies] == "3"
    for in_sync in ("min.insync.replicas", "transaction.state.log.min.isr"):
        assert written[in_sync] == "2"


def test_a_process_belongs_only_to_the_stack_home_it_was_started_in(tmp_path: Path) -> None:
    marker = f"{uuid.uuid4().int % 10_000 + 100_000}"  # a sleep nobody else runs

    class Sleeper(Server):
        name = "sleeper"

        def owns(self, command_line: list[str]) -> bool:
            return bool(command_line == ["sleep", marker])

    ours, theirs = (Settings(home=tmp_path / name) for name in ("ours", "theirs"))
    ours.run_dir.mkdir(parents=True)
    pid = spawn_detached(["sleep", marker], tmp_path / "sleep.log", os.environ, ours.run_dir)
    try:
        assert running_pid(Sleeper(ours)) == pid
        assert running_pid(Sleeper(theirs)) is None
    finally:
        os.kill(pid, signal.SIGKILL)


def test_a_node_publishes_its_class_data_recording_only_once_the_jvm_maps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "kafka.jsa"
    monkeypatch.setattr(Kafka, "class_data_archive", archive)
    node = kafka_nodes(Settings(kafka_brokers=3, home=tmp_path))[1]
    record = node._class_data_sharing()
    recording = Path(record.removeprefix("-XX:ArchiveClassesAtExit="))
    assert recording.parent == tmp_path
    assert recording.name.endswith("-kafka-2")  # its own file: no other JVM writes it

    recording.write_bytes(b"\0" * 4096)  # as left by a JVM killed while it wrote
    assert node._class_data_sharing() == record
    assert not recording.exists()
    assert not archive.exists()

    run_logged([*node.java(), record, "-version"], what="recording", log=tmp_path / "record.log")
    assert node._class_data_sharing() == f"-XX:SharedArchiveFile={archive}"
    assert archive.is_file()
    assert not recording.exists()


# --- a real three-node cluster --------------------------------------------------------------


def free_port_block(size: int) -> int:
    """The first of ``size`` consecutive free loopback ports, below Linux's ephemeral range
    (so no client connection takes one meanwhile) and away from the default stack's."""
    for base in range(20_000, 32_000, size):
        try:
            for port in range(base, base + size):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no block of free loopback ports between 20000 and 32000")


def cluster_settings(home: Path) -> Any:
    base = free_port_block(12)
    others = [field for field in PORT_VARIABLES if "kafka" not in field]  # six
    ports = dict(zip(others, range(base + 6, base + 12), strict=True))
    return Settings(
        kafka_brokers=3,
        home=home,
        kafka_port=base,  # nodes on base, base+2, base+4; controllers one above each
        kafka_controller_port=base + 1,
        start_timeout=DEADLINE,
        **ports,
    )


async def describe(
    bootstrap: str, topic: str, login: KafkaCredentials | None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The topic's partitions (leader, replicas, isr) and its configs."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=10_000, **client_options(login)
    )
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        resource = response.to_object()["resources"][0]
        configs = {
            entry["config_names"]: entry["config_value"] for entry in resource["config_entries"]
        }
        return described["partitions"], configs
    finally:
        await admin.close()


async def produce(bootstrap: str, values: list[str], login: KafkaCredentials | None) -> None:
    """Every value acknowledged by all in-sync replicas, keys spread over the partitions."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **client_options(login),
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=int(DEADLINE * 1000),  # survives the dead leader's fencing (9 s)
    )
    await producer.start()
    try:
        sent = [await producer.send(TOPIC, value.encode(), key=value.encode()) for value in values]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def consume(bootstrap: str, wanted: set[str], login: KafkaCredentials | None) -> set[str]:
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        **client_options(login),
        group_id=f"cluster-test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + DEADLINE
        while not wanted <= seen and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            seen |= {m.value.decode() for batch in batches.values() for m in batch if m.value}
        return seen
    finally:
        await consumer.stop()


def test_a_three_node_cluster_keeps_acks_all_writes_and_reads_going_with_one_node_killed(
    tmp_path: Path,
) -> None:
    settings = cluster_settings(tmp_path / "stack")
    bootstrap = Endpoints.of(settings).kafka
    nodes = kafka_nodes(settings)
    try:
        try:
            up(settings)
        except StackError as error:
            pytest.fail(f"the three-node stack did not start: {error}")
        admin = Endpoints.of(settings).kafka_login()  # authenticated, as by default
        for node in nodes:
            assert running_pid(node) is not None, f"{node.name} is not running"
            assert node.probe() is None, f"{node.name} does not answer"

        async def created() -> tuple[list[dict[str, Any]], dict[str, str]] | None:
            # Each node learns of a new topic on its own time: the one asked may lag.
            partitions, configs = await describe(bootstrap, TOPIC, admin)
            return (partitions, configs) if partitions else None

        partitions, configs = cast(
            tuple[list[dict[str, Any]], dict[str, str]],
            asyncio.run(wait_for(created, within=DEADLINE, interval=0.5)),
        )
        assert {len(partition["replicas"]) for partition in partitions} == {3}
        assert configs["min.insync.replicas"] == "2"

        before = [f"before-{n}" for n in range(50)]
        asyncio.run(produce(bootstrap, before, admin))

        # Kill the leader of partition 0: its partitions must move to the other two nodes.
        leader = next(p["leader"] for p in partitions if p["partition"] == 0)
        victim = nodes[leader - 1]
        os.kill(running_pid(victim), signal.SIGKILL)

        after = [f"after-{n}" for n in range(50)]
        asyncio.run(produce(bootstrap, after, admin))
        seen = asyncio.run(consume(bootstrap, set(before + after), admin))
        assert set(before + after) <= seen, "messages acknowledged with acks=all were lost"

        async def shrunk() -> bool:
            partitions, _ = await describe(bootstrap, TOPIC, admin)
            return all(leader not in partition["isr"] for partition in partitions)

        asyncio.run(wait_for(shrunk, within=DEADLINE, interval=0.5))

        start_server(victim)

        async def rejoined() -> bool:
            partitions, _ = await describe(bootstrap, TOPIC, admin)
            return all(len(partition["isr"]) == 3 for partition in partitions)

        asyncio.run(wait_for(rejoined, within=DEADLINE, interval=0.5))
    finally:
        down(settings)
    assert all(running_pid(server) is None for server in all_servers(settings))
