"""The faults carried out on a running mesh, one kind per method, and what each one cost."""

import asyncio
import dataclasses
import functools
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from conveyor_contracts.topics import TOPICS
from conveyor_local.chaos.cluster import Cluster
from conveyor_local.chaos.schedule import Fault
from conveyor_local.mesh import Mesh
from conveyor_runtime.kafka_auth import client_options

say = functools.partial(print, flush=True)


@dataclass
class Injector:
    """Carries out a schedule on a running mesh and records what each fault cost."""

    cluster: Cluster
    prefix: str
    faults: list[Fault]
    log: list[dict[str, Any]] = field(default_factory=list)

    async def run(self, mesh: Mesh) -> None:
        started = time.monotonic()
        for fault in self.faults:
            await asyncio.sleep(max(0.0, fault.at - (time.monotonic() - started)))
            began = time.monotonic() - started
            say(f"[chaos {began:6.1f}s] {fault.describe()}")
            measured = await getattr(self, fault.kind)(mesh, fault)
            entry = {**dataclasses.asdict(fault), "began": round(began, 1), **measured}
            entry["took"] = round(time.monotonic() - started - began, 1)
            say(f"[chaos {began + entry['took']:6.1f}s] {fault.kind} over: {measured}")
            self.log.append(entry)

    async def kill_service(self, mesh: Mesh, fault: Fault) -> dict[str, Any]:
        instance = mesh.named(fault.target)
        await instance.kill()
        await asyncio.sleep(fault.hold)
        await instance.start()
        return {"ready_s": round(await instance.ready(), 2)}

    async def kill_broker(self, mesh: Mesh, fault: Fault) -> dict[str, Any]:
        killed = int(fault.target.rsplit("-", 1)[1])
        down = time.monotonic()
        await self.cluster.kill(fault.target)
        leaders_moved = await self._until(lambda p: p["leader"] not in (-1, killed))
        await asyncio.sleep(max(0.0, fault.hold - (time.monotonic() - down)))
        back = await self.cluster.start(fault.target)
        restarted = time.monotonic()
        await self._until(lambda p: len(p["isr"]) == len(p["replicas"]))
        return {
            "leaders_moved_s": round(leaders_moved, 2),
            "broker_back_s": round(back, 2),
            "isr_restored_s": round(time.monotonic() - restarted, 2),
        }

    async def pause_database(self, mesh: Mesh, fault: Fault) -> dict[str, Any]:
        pid = self.cluster.pid("ferretdb")
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(fault.hold)
        finally:
            os.kill(pid, signal.SIGCONT)
        back = time.monotonic()
        await asyncio.gather(*(instance.ready() for instance in mesh.instances))
        return {"services_ready_s": round(time.monotonic() - back, 2)}

    async def pause_consumer(self, mesh: Mesh, fault: Fault) -> dict[str, Any]:
        instance = mesh.named(fault.target)
        group = self.prefix + instance.service
        members = await self._members(group) or len(mesh.of(instance.service))
        instance.pause()
        paused = time.monotonic()
        try:
            # Past the session timeout the broker drops the member and hands its partitions
            # to the other instance: the rebalance this fault is here to provoke.
            dropped = await self._until_members(group, members - 1, within=fault.hold)
            await asyncio.sleep(max(0.0, fault.hold - (time.monotonic() - paused)))
        finally:
            instance.resume()
        resumed = time.monotonic()
        rejoined = await self._until_members(group, members, within=60.0)
        return {
            "member_dropped_s": dropped,
            "rejoined_s": rejoined and round(time.monotonic() - resumed, 2),
        }

    async def rolling_restart(self, mesh: Mesh, fault: Fault) -> dict[str, Any]:
        shutdowns, readies = [], []
        for instance in list(mesh.instances):
            shutdowns.append(await instance.stop())
            await instance.start()
            readies.append(await instance.ready())
        return {
            "sigterm_shutdown_s_max": round(max(shutdowns), 2),
            "ready_s_max": round(max(readies), 2),
        }

    async def rewind_group(self, mesh: Mesh, fault: Fault) -> dict[str, Any]:
        # Offsets of a group with live members cannot be moved: the service stops first, as
        # an operator's `kafka-consumer-groups --reset-offsets` needs it to.
        instances = mesh.of(fault.target)
        for instance in instances:
            await instance.stop()
        rewound = await asyncio.wait_for(self._rewind(self.prefix + fault.target), 60)
        for instance in instances:
            await instance.start()
        ready = await asyncio.gather(*(instance.ready() for instance in instances))
        return {"redelivered": rewound, "ready_s_max": round(max(ready), 2)}

    async def _rewind(self, group: str) -> int:
        """Commit the earliest offset of every partition the group has consumed. Returns how
        many messages it will be handed again."""
        names = [self.prefix + spec.name for spec in TOPICS]
        described = await self._ask(lambda admin: admin.describe_topics(names))
        if not described:
            raise KafkaError("the cluster did not describe the run's topics")
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        ]
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.cluster.endpoints.kafka,
            group_id=group,
            enable_auto_commit=False,
            client_id="chaos-rewind",
            **client_options(self.cluster.endpoints.kafka_login()),
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            committed = {tp: await consumer.committed(tp) for tp in partitions}
            consumed = [tp for tp, offset in committed.items() if offset]
            earliest = await consumer.beginning_offsets(consumed)
            await consumer.commit({tp: earliest[tp] for tp in consumed})
            return sum((committed[tp] or 0) - earliest[tp] for tp in consumed)
        finally:
            await consumer.stop()

    async def _until(self, holds: Callable[[dict[str, Any]], bool], within: float = 120) -> float:
        """Seconds until ``holds`` is true of every partition of the run's topics."""
        started = time.monotonic()
        names = [self.prefix + spec.name for spec in TOPICS]
        while time.monotonic() - started < within:
            described = await self._ask(lambda admin: admin.describe_topics(names))
            partitions = [p for topic in described or () for p in topic["partitions"]]
            if partitions and all(holds(p) for p in partitions):
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise TimeoutError(f"the run's partitions did not recover within {within:.0f} s")

    async def _members(self, group: str) -> int | None:
        """How many members the group has; None when the cluster did not say."""
        described = await self._ask(lambda admin: admin.describe_consumer_groups([group]))
        # DescribeGroups: groups = [(error, group, state, protocol type, protocol, members)]
        return len(described[0].groups[0][5]) if described else None

    async def _until_members(self, group: str, members: int, within: float) -> float | None:
        """Seconds until the group has ``members`` members, or None if not within ``within``."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            if await self._members(group) == members:
                return round(time.monotonic() - started, 2)
            await asyncio.sleep(0.5)
        return None

    async def _ask(self, question: Callable[[AIOKafkaAdminClient], Awaitable[Any]]) -> Any:
        """One admin request, or None when the cluster could not answer it (a broker just
        died, its metadata is stale): the callers poll, so they ask again."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.cluster.endpoints.kafka,
            client_id="chaos",
            **client_options(self.cluster.endpoints.kafka_login()),
        )
        try:
            await admin.start()
            return await question(admin)
        except KafkaError:
            return None
        finally:
            await admin.close()
