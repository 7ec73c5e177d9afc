"""The local stack's three-node Kafka cluster, in a stack home of its own beside the default one.

One test starts a whole second stack (three Kafka nodes, FerretDB, Jaeger) on free ports and
takes a broker away under acks=all; the settings and file layout are checked without servers in
``test_kafka_cluster_settings.py``.
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
from conveyor_local.stack.kafka import kafka_nodes
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.settings import (
    PORT_VARIABLES,
    Endpoints,
    Settings,
    StackError,
)
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options
from conveyor_testkit import wait_for

TOPIC = "orders.lifecycle.v1"  # a registry topic: 3 copies, 2 in sync
DEADLINE = 60.0


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
