"""What SASL/SCRAM costs, measured in the benchmark's own run.

Two single Kafka nodes are started for the run, alike in everything (template, JVM settings,
a fresh home each, only this run's topics) except that one authenticates and authorizes as the
stack does and the other is open; the stack's own broker is not used, as its metadata holds
every topic of every run. After a warm-up round on each that is not counted (a new JVM runs its
first requests interpreted; a first group creates the offsets topic), the same two baselines
run on both in alternating order, so that neither always goes first on a machine whose load
drifts: the null mesh (the services' client and broker path with handlers that do nothing) at
the saturation burst, and Kafka's own producer and consumer tools. Reported per side and as
ratios, authenticated over open: throughput, and CPU per order of the clients (this process,
which runs nothing else meanwhile) and of the broker.
"""

import asyncio
import contextlib
import resource
import socket
import statistics
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from conveyor_local.bench.baseline import null_mesh
from conveyor_local.bench.ceiling import kafka_ceiling
from conveyor_local.bench.cost import cpu_seconds
from conveyor_local.stack.commands import down
from conveyor_local.stack.health import wait_until_ready
from conveyor_local.stack.kafka import kafka_nodes
from conveyor_local.stack.processes import running_pid
from conveyor_local.stack.settings import Settings, StackError
from conveyor_local.stack.supervise import ensure_started
from conveyor_runtime.kafka_auth import KafkaCredentials

ROUNDS = 2


@contextlib.asynccontextmanager
async def twin(*, authenticated: bool) -> AsyncIterator[tuple[str, KafkaCredentials | None, int]]:
    """A single Kafka node of its own: its bootstrap address, the admin's login (None when it
    is open) and its pid. The stack's functions run their own event loops, so they run in a
    thread here."""
    with tempfile.TemporaryDirectory(prefix="conveyor-sasl-kafka-") as home:
        client_port, controller_port = _free_ports(2)
        settings = Settings(
            home=Path(home),
            kafka_auth=authenticated,
            kafka_port=client_port,
            kafka_controller_port=controller_port,
        )
        [node] = kafka_nodes(settings)
        try:
            await asyncio.to_thread(ensure_started, node)
            await asyncio.to_thread(wait_until_ready, node, settings.start_timeout)
            pid = running_pid(node)
            if pid is None:
                raise StackError("a twin broker stopped right after it started")
            yield settings.kafka_bootstrap(), settings.kafka_admin(), pid
        finally:
            await asyncio.to_thread(down, settings)


def _free_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


async def sasl_cost(
    prefix: str, sizes: dict[str, int], *, orders: int, records: int, record_bytes: int
) -> dict[str, Any]:
    """Both baselines on an authenticated twin (as its admin) and on an open one."""
    sides: dict[str, list[dict[str, Any]]] = {"authenticated": [], "open": []}
    async with (
        twin(authenticated=True) as authenticated,
        twin(authenticated=False) as open_,
    ):
        where = {"authenticated": authenticated, "open": open_}
        for side, (bootstrap, login, pid) in where.items():  # the warm-up
            await _measure(
                bootstrap, login, pid, f"{prefix}saslw{side[0]}-", sizes,
                orders=orders, records=records, record_bytes=record_bytes,
            )  # fmt: skip
        for number in range(ROUNDS):
            order = ("authenticated", "open") if number % 2 == 0 else ("open", "authenticated")
            for side in order:
                bootstrap, login, pid = where[side]
                topics = f"{prefix}sasl{number}{side[0]}-"
                measured = await _measure(
                    bootstrap, login, pid, topics, sizes,
                    orders=orders, records=records, record_bytes=record_bytes,
                )  # fmt: skip
                sides[side].append(measured)
    figures = {side: _mean(rounds) for side, rounds in sides.items()}
    return {
        "rounds": ROUNDS,
        "orders": orders,
        "ceiling_records": records,
        **figures,
        "ratio_authenticated_over_open": {
            key: _ratio(figures["authenticated"][key], figures["open"][key])
            for key in figures["open"]
        },
        "note": "no TLS: SASL/SCRAM costs a handshake per connection; ACLs are not evaluated "
        "for the admin (a super user)",
    }


async def _measure(
    bootstrap: str,
    login: KafkaCredentials | None,
    broker_pid: int | None,
    prefix: str,
    sizes: dict[str, int],
    *,
    orders: int,
    records: int,
    record_bytes: int,
) -> dict[str, float | None]:
    clients_before, broker_before = _own_cpu(), _cpu(broker_pid)
    null = await null_mesh(bootstrap, prefix, sizes, orders=orders, rate=0.0, credentials=login)
    clients, broker = _own_cpu() - clients_before, _cpu(broker_pid)
    ceiling = await kafka_ceiling(
        bootstrap,
        f"{prefix}ceiling",
        records=records,
        record_bytes=record_bytes,
        partitions=6,
        credentials=login,
    )
    return {
        "null_mesh_orders_per_second": null["throughput"]["delivered"]["orders_per_second"],
        "client_cpu_ms_per_order": round(1000 * clients / orders, 2),
        "broker_cpu_ms_per_order": (
            round(1000 * (broker - broker_before) / orders, 2)
            if broker is not None and broker_before is not None
            else None
        ),
        "ceiling_produced_per_second": ceiling["producer"]["records_per_second"],
        "ceiling_consumed_per_second": ceiling["consumer"]["records_per_second"],
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu(pid: int | None) -> float | None:
    return cpu_seconds(pid) if pid is not None else None


def _mean(rounds: list[dict[str, float | None]]) -> dict[str, float | None]:
    means: dict[str, float | None] = {}
    for key in rounds[0]:
        values = [value for r in rounds if (value := r[key]) is not None]
        means[key] = round(statistics.fmean(values), 2) if values else None
    return means


def _ratio(authenticated: float | None, open_: float | None) -> float | None:
    if authenticated is None or not open_:
        return None
    return round(authenticated / open_, 3)
