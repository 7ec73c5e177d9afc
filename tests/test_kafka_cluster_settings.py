"""The local stack's Kafka settings and file layout, checked without servers: the default single
node, a three-node cluster's ports, copies and controllers, and which processes are the stack's.
"""

import os
import signal
import uuid
from pathlib import Path

import pytest

from conveyor_local.stack.commands import all_servers
from conveyor_local.stack.install import run_logged
from conveyor_local.stack.kafka import Kafka, kafka_nodes
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.server import Server
from conveyor_local.stack.settings import (
    CACHE,
    DATA_DIR,
    LOG_DIR,
    ROOT,
    RUN_DIR,
    Endpoints,
    Settings,
    StackError,
)
from conveyor_local.stack.supervise import spawn_detached
from conveyor_testkit.waiting import wait_until


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
        # The launcher's child becomes `sleep` a moment after its pid is known: wait for it.
        wait_until(lambda: running_pid(Sleeper(ours)) == pid)
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
