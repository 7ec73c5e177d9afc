"""`make chaos`: the mesh under a seeded schedule of faults, then the invariant auditor.

Each run is the demo's flow of orders (two instances of every service, the simulated checkout,
carriers, returns dock and agents) on a stack of its own: three Kafka brokers, FerretDB and
Jaeger on ports beside the test stack's, so that killing a broker or freezing the database
disturbs nothing else. While the orders flow, the seed's schedule injects its faults one after
the other; each fault and its time is logged. After the last one the run waits for every order
to reach an end, then the auditor checks the invariants (deploy/local/audit.py).

    python deploy/local/chaos.py --short          one seed, every kind of fault once (CI)
    python deploy/local/chaos.py                  20 seeds, four faults each, and a summary
    python deploy/local/chaos.py --seed 13        replay one seed: the same faults, in order

The same seed always plans the same schedule (kinds, targets, times, holds); what the mesh does
under it varies with the machine's timing, which is the point of running many seeds.
"""

import argparse
import asyncio
import dataclasses
import functools
import json
import logging
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import demo
import stack
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from mesh import SERVICES, Mesh

from conveyor_contracts.topics import TOPICS
from conveyor_runtime.kafka_auth import client_options

REPORTS = stack.CACHE / "reports" / "chaos"
FAULT_KINDS = (
    "kill_service",  # SIGKILL one instance, start it again
    "kill_broker",  # SIGKILL one Kafka broker, start it again
    "pause_database",  # SIGSTOP the database for 10-20 s, then SIGCONT
    "pause_consumer",  # SIGSTOP one instance past its consumer session timeout
    "rolling_restart",  # SIGTERM and start every instance, one at a time
    "rewind_group",  # stop a service, rewind its group to the start, start it again
)
SESSION_TIMEOUT = 10.0  # seconds: aiokafka's default, which the services keep
BROKERS = 3
AFTER_FLOW = 300.0  # seconds a run may take after its flow: trace sample, audit, teardown
say = functools.partial(print, flush=True)


@dataclass(frozen=True)
class Fault:
    """One planned fault: what, on whom, when (seconds after the orders start) and how long
    the target stays down or frozen."""

    kind: str
    target: str
    at: float
    hold: float

    def describe(self) -> str:
        hold = f" for {self.hold:.1f} s" if self.hold else ""
        return f"{self.kind} {self.target}{hold}"


def plan(seed: int, kinds: Sequence[str], instances: int) -> list[Fault]:
    """The seed's schedule: ``kinds`` in order, each with a target, a start and a hold drawn
    from the seed alone, so that a failing seed replays the same faults."""
    draw = random.Random(seed)
    names = [
        service if number == 1 else f"{service}-{number}"
        for service in SERVICES
        for number in range(1, instances + 1)
    ]
    faults, at = [], draw.uniform(5.0, 10.0)
    for kind in kinds:
        target, hold = _target_and_hold(kind, draw, names)
        faults.append(Fault(kind, target, round(at, 1), round(hold, 1)))
        at += hold + draw.uniform(4.0, 10.0)
    return faults


def _target_and_hold(kind: str, draw: random.Random, instances: list[str]) -> tuple[str, float]:
    if kind == "kill_service":
        return draw.choice(instances), draw.uniform(0.0, 5.0)
    if kind == "pause_consumer":
        # Past the session timeout the broker drops the member: a rebalance.
        return draw.choice(instances), SESSION_TIMEOUT + draw.uniform(3.0, 8.0)
    if kind == "kill_broker":
        return f"kafka-{draw.randint(1, BROKERS)}", draw.uniform(3.0, 10.0)
    if kind == "pause_database":
        return "ferretdb", draw.uniform(10.0, 20.0)
    if kind == "rewind_group":
        return draw.choice(SERVICES), 0.0
    return "every instance", 0.0  # rolling_restart


def kinds_for(seed: int, *, every_kind: bool, faults: int) -> list[str]:
    """Every kind once in a seeded order (the short run), or ``faults`` kinds drawn with
    replacement (the full run, where twenty seeds cover each kind many times)."""
    draw = random.Random(f"kinds-{seed}")
    if every_kind:
        return draw.sample(FAULT_KINDS, len(FAULT_KINDS))
    return [draw.choice(FAULT_KINDS) for _ in range(faults)]


@dataclass
class Cluster:
    """The chaos stack's servers, to kill, freeze and start again."""

    settings: stack.Settings
    endpoints: stack.Endpoints

    def server(self, name: str) -> stack.Server:
        return next(s for s in stack.all_servers(self.settings) if s.name == name)

    def pid(self, name: str) -> int:
        pid = stack.running_pid(self.server(name))
        if pid is None:
            raise stack.StackError(f"{name} of the chaos stack is not running")
        return pid

    async def kill(self, name: str) -> None:
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        while stack.is_alive(pid):  # noqa: ASYNC110  (another process: nothing to await)
            await asyncio.sleep(0.05)

    async def start(self, name: str) -> float:
        """Start a killed server again. Returns the seconds until it answered."""
        return await asyncio.to_thread(stack.start_server, self.server(name))


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


def chaos_settings() -> stack.Settings:
    """The chaos stack: three brokers and its own database and Jaeger, in a home of its own
    and on ports beside the default stack's, below Linux's ephemeral range (32768 and up), where
    a client connection's own port could already hold one."""
    return stack.Settings(
        kafka_brokers=BROKERS,
        home=stack.CACHE / "chaos",
        kafka_port=19092,  # and 19094, 19096; their controllers 19093, 19095, 19097
        kafka_controller_port=19093,
        mongo_port=17017,
        otlp_grpc_port=14317,
        otlp_http_port=14318,
        jaeger_query_port=16786,
        jaeger_query_grpc_port=16785,
        jaeger_health_port=13233,
    )


async def one_run(
    seed: int, faults: list[Fault], args: argparse.Namespace, cluster: Cluster
) -> dict[str, Any]:
    """The demo's flow with the seed's faults injected into it, and what each fault cost."""
    say(f"== seed {seed}: " + "; ".join(f"{f.at:.0f}s {f.describe()}" for f in faults))
    injectors: list[Injector] = []

    async def inject(mesh: Mesh, prefix: str) -> None:
        injectors.append(Injector(cluster, prefix, faults))
        await injectors[-1].run(mesh)

    flow = argparse.Namespace(**{**vars(args), "seed": seed})
    # The flow has its own timeout; this one bounds what follows it too (the trace sample, the
    # audit, the teardown), so that one stuck step fails its seed instead of the whole run.
    within = args.timeout + AFTER_FLOW
    try:
        summary = await asyncio.wait_for(demo.run(flow, cluster.endpoints, faults=inject), within)
    except TimeoutError:
        summary = {
            "orders": args.orders,
            "recovery_seconds": None,
            "audit": {"invariants": []},
            "problems": [f"the run did not finish within {within:.0f} s"],
        }
    return {"seed": seed, **summary, "faults": injectors[0].log if injectors else []}


def table(reports: list[dict[str, Any]]) -> str:
    """The summary: one row per seed, as docs/reliability.md shows it."""
    rows = [
        "| seed | faults | orders | invariants held | recovery (s) | problems |",
        "|---:|---|---:|---|---:|---|",
    ]
    for report in reports:
        audit = report.get("audit", {}).get("invariants", [])
        held = sum(1 for invariant in audit if invariant["held"])
        rows.append(
            f"| {report['seed']} | {', '.join(f['kind'] for f in report['faults'])} "
            f"| {report['orders']} | {held}/{len(audit)} | {report['recovery_seconds']} "
            f"| {len(report['problems'])} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="one seed, every fault kind once")
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (full mode)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--seed", type=int, help="run this one seed only")
    parser.add_argument("--faults", type=int, default=4, help="faults per seed (full mode)")
    parser.add_argument("--instances", type=int, default=2, help="processes per service")
    parser.add_argument("--orders", type=int, default=40, help="orders per seed")
    parser.add_argument("--rate", type=float, default=0.5, help="orders per second")
    parser.add_argument("--speed", type=float, default=3600.0, help="carrier time acceleration")
    parser.add_argument("--stock", type=int, default=60, help="units per SKU per warehouse")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--reports", default=str(REPORTS), help="where the JSON reports go")
    parser.add_argument("--keep-stack", action="store_true", help="leave the chaos stack up")
    args = parser.parse_args(argv)
    seeds = (
        [args.seed]
        if args.seed is not None
        else [args.first_seed]
        if args.short
        else list(range(args.first_seed, args.first_seed + args.seeds))
    )
    # The runner's own clients (observer, simulators) would log every refused connection while
    # a broker is down: the fault log says it once. FastStream resets its loggers' levels when a
    # broker starts, so those get a filter.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    for name in ("faststream", "faststream.access.kafka"):
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.ERROR)
    settings = chaos_settings()
    cluster = Cluster(settings, stack.up(settings))
    reports_dir = Path(args.reports)
    reports_dir.mkdir(parents=True, exist_ok=True)
    reports = []
    try:
        for seed in seeds:
            kinds = kinds_for(seed, every_kind=args.short, faults=args.faults)
            report = asyncio.run(one_run(seed, plan(seed, kinds, args.instances), args, cluster))
            (reports_dir / f"seed-{seed}.json").write_text(json.dumps(report, indent=2))
            reports.append(report)
            say(f"seed {seed}: {'PASSED' if not report['problems'] else 'FAILED'}")
            for problem in report["problems"]:
                say(f"  - {problem}")
    finally:
        if not args.keep_stack:
            stack.down(settings)
    summary = table(reports)
    (reports_dir / "summary.md").write_text(summary + "\n")
    injected = Counter(fault["kind"] for report in reports for fault in report["faults"])
    say("\n" + summary)
    say("faults injected: " + ", ".join(f"{kind} {n}" for kind, n in sorted(injected.items())))
    failed = [report["seed"] for report in reports if report["problems"]]
    say(f"reports in {reports_dir}; " + (f"FAILED seeds: {failed}" if failed else "all passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
