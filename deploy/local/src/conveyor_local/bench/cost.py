"""The cost model: what one order costs each process of the mesh, measured per phase.

CPU comes from ``/proc/<pid>/stat`` (user + system time, every thread) of the four services and
of the stack's FerretDB, Kafka and Jaeger; each phase's CPU is also given net of the process's
idle rate, measured over a few seconds just before the phase. Database commands, produced and
consumed messages and offset commits come from each service's own ``/metrics`` counters,
scraped at the start and end of each phase. Every figure is a phase's delta divided by the
phase's orders: costs per order are steadier than rates on a shared machine.
"""

import os
import resource
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

SERVERS = ("ferretdb", "kafka", "jaeger")
LOAD = "bench"  # the benchmark's own process: checkout, carriers, observer (not in the totals)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@dataclass(frozen=True)
class Counters:
    """One service's counters at one moment (from its ``/metrics``)."""

    db_commands: dict[str, float] = field(default_factory=dict)  # by command name
    produced: float = 0.0
    consumed: float = 0.0
    commits: float = 0.0


def parse_counters(exposition: str) -> Counters:
    db: dict[str, float] = {}
    totals = {"produced": 0.0, "consumed": 0.0, "commits": 0.0}
    names = {
        "conveyor_messages_produced_total": "produced",
        "conveyor_messages_consumed_total": "consumed",
        "conveyor_kafka_commits_total": "commits",
    }
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "conveyor_db_commands_total":
                command = sample.labels["command"]
                db[command] = db.get(command, 0.0) + sample.value
            elif sample.name in names:
                totals[names[sample.name]] += sample.value
    return Counters(db_commands=db, **totals)


@dataclass(frozen=True)
class Sample:
    """CPU seconds per process and each service's counters, at monotonic time ``at``."""

    at: float
    cpu: dict[str, float | None]
    counters: dict[str, Counters]


class Meter:
    """Takes samples of the mesh's processes: services by pid and HTTP port, servers by pid."""

    def __init__(self, services: Mapping[str, tuple[int, int]], servers: Mapping[str, int]):
        self.services = dict(services)  # name -> (pid, HTTP port)
        self.servers = dict(servers)  # name -> pid; the ones this run can see
        self.processes = [*self.services, *self.servers]

    async def sample(self, *, scrape: bool = True) -> Sample:
        counters: dict[str, Counters] = {}
        if scrape:
            async with httpx.AsyncClient(timeout=30.0) as http:
                for name, (_, port) in self.services.items():
                    response = await http.get(f"http://127.0.0.1:{port}/metrics")
                    response.raise_for_status()
                    counters[name] = parse_counters(response.text)
        at = time.monotonic()
        pids = {name: pid for name, (pid, _) in self.services.items()} | self.servers
        cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        own = resource.getrusage(resource.RUSAGE_SELF)
        cpu[LOAD] = own.ru_utime + own.ru_stime
        return Sample(at, cpu, counters)


def _per_order(value: float, orders: int) -> float:
    return round(value / orders, 2)


def _with_total(parts: dict[str, float | None]) -> dict[str, float | None]:
    measured = [value for value in parts.values() if value is not None]
    return parts | {"total": round(sum(measured), 2)}


def phase_cost(
    processes: Sequence[str], orders: int, idle: Sample, start: Sample, end: Sample
) -> dict[str, Any]:
    """One phase's costs per order; ``idle`` was taken ``start.at - idle.at`` seconds before the
    phase started, with no orders published in between."""
    seconds = end.at - start.at
    idle_seconds = start.at - idle.at
    gross: dict[str, float | None] = {}
    net: dict[str, float | None] = {}
    idle_percent: dict[str, float | None] = {}
    for name in processes:
        before, first, last = idle.cpu.get(name), start.cpu.get(name), end.cpu.get(name)
        if before is None or first is None or last is None or not orders:
            gross[name] = net[name] = idle_percent[name] = None
            continue
        rate = (first - before) / idle_seconds if idle_seconds > 0 else 0.0
        gross[name] = _per_order(1000 * (last - first), orders)
        net[name] = _per_order(1000 * (last - first - rate * seconds), orders)
        idle_percent[name] = round(100 * rate, 1)
    load_first, load_last = start.cpu[LOAD], end.cpu[LOAD]
    result: dict[str, Any] = {
        "orders": orders,
        "seconds": round(seconds, 1),
        "idle_seconds": round(idle_seconds, 1),
        "cpu_ms_per_order": _with_total(gross),
        "net_cpu_ms_per_order": _with_total(net),
        "idle_cpu_percent": idle_percent,
        "load_generator_cpu_ms_per_order": (
            _per_order(1000 * (load_last - load_first), orders)
            if orders and load_first is not None and load_last is not None
            else None
        ),
        "not_measured": [name for name in processes if gross[name] is None],
    }
    result.update(_counter_costs(orders, start, end))
    return result


def _counter_costs(orders: int, start: Sample, end: Sample) -> dict[str, Any]:
    """Database commands and Kafka messages per order, per service and summed."""
    db: dict[str, Any] = {}
    all_commands: dict[str, float] = {}
    kafka: dict[str, dict[str, float | None]] = {"produced": {}, "consumed": {}, "commits": {}}
    for name, last in end.counters.items():
        first = start.counters.get(name, Counters())
        by_command = {
            command: last.db_commands[command] - first.db_commands.get(command, 0.0)
            for command in sorted(last.db_commands)
        }
        by_command = {command: count for command, count in by_command.items() if count}
        for command, count in by_command.items():
            all_commands[command] = all_commands.get(command, 0.0) + count
        db[name] = {
            "total": _per_order(sum(by_command.values()), orders) if orders else None,
            "by_command": {c: _per_order(n, orders) for c, n in by_command.items()}
            if orders
            else {},
        }
        for kind in kafka:
            delta = getattr(last, kind) - getattr(first, kind)
            kafka[kind][name] = _per_order(delta, orders) if orders else None
    services_total = [db[name]["total"] for name in db if db[name]["total"] is not None]
    db["total"] = {
        "total": round(sum(services_total), 2),
        "by_command": {c: _per_order(n, orders) for c, n in sorted(all_commands.items())}
        if orders
        else {},
    }
    return {
        "db_ops_per_order": db,
        "kafka_per_order": {kind: _with_total(values) for kind, values in kafka.items()},
    }
