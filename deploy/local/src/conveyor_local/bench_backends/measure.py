"""Measuring the operations: seeded documents, concurrent clients, ops/s, latency and the
servers' CPU per operation, one cell on every backend before the next."""

import argparse
import asyncio
import functools
import random
import statistics
import time
from typing import Any

from pymongo import AsyncMongoClient

from conveyor_local.bench_backends.operations import OPERATION_FUNCTIONS, document
from conveyor_local.bench_backends.servers import Backend

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout

WARMUP_OPERATIONS = 10


async def seed(client: AsyncMongoClient[dict[str, Any]], backend: Backend, documents: int) -> None:
    docs = client["bench"]["docs"]
    await client.drop_database("bench")
    batch = [document(number) for number in range(documents)]
    for start in range(0, documents, 500):
        await docs.insert_many(batch[start : start + 500])
    backend.ids = [doc["_id"] for doc in batch]
    backend.versions = {}


async def measure(
    backend: Backend,
    client: AsyncMongoClient[dict[str, Any]],
    operation: str,
    clients: int,
    seconds: float,
) -> dict[str, Any]:
    """Run one operation from ``clients`` concurrent clients for ``seconds``; each client has
    its own share of the documents, so that no two clients write the same one."""
    docs = client["bench"]["docs"]
    run = OPERATION_FUNCTIONS[operation]
    shares = [backend.ids[number::clients] for number in range(clients)]
    rngs = [random.Random(f"{operation}-{clients}-{number}") for number in range(clients)]
    for _ in range(WARMUP_OPERATIONS):
        await run(docs, backend, shares[0], rngs[0])
    latencies: list[float] = []
    cpu_before, own_before = backend.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    deadline = started + seconds

    async def one_client(number: int) -> None:
        while (start := time.perf_counter()) < deadline:
            await run(docs, backend, shares[number], rngs[number])
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(one_client(number) for number in range(clients)))
    elapsed = time.perf_counter() - started
    cpu_after, own_after = backend.cpu_seconds(), time.process_time()
    count = len(latencies)
    cpu_ms = {name: 1000 * (cpu_after[name] - cpu_before[name]) / count for name in cpu_before}
    return {
        "backend": backend.name,
        "operation": operation,
        "clients": clients,
        "operations": count,
        "seconds": round(elapsed, 2),
        "ops_per_second": round(count / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * statistics.quantiles(latencies, n=100)[-1], 2)
        if count > 1
        else None,
        "server_cpu_ms": {name: round(value, 3) for name, value in cpu_ms.items()},
        "server_cpu_ms_total": round(sum(cpu_ms.values()), 3),
        "client_cpu_ms": round(1000 * (own_after - own_before) / count, 3),
    }


async def run(args: argparse.Namespace, backends: dict[str, Backend]) -> list[dict[str, Any]]:
    clients = {
        name: AsyncMongoClient[dict[str, Any]](backend.url, maxPoolSize=max(args.clients) + 2)
        for name, backend in backends.items()
    }
    try:
        for name, backend in backends.items():
            await seed(clients[name], backend, args.documents)
        rows = []
        # One cell on every backend before the next, so that drift hits them alike.
        for operation in args.operations:
            for concurrency in args.clients:
                for name, backend in backends.items():
                    row = await measure(
                        backend, clients[name], operation, concurrency, args.seconds
                    )
                    say(
                        f"  {operation:17} {concurrency} client(s) {name:10} "
                        f"{row['ops_per_second']:8.1f}/s  p50 {row['p50_ms']:7.2f} ms  "
                        f"server CPU {row['server_cpu_ms_total']:6.2f} ms/op"
                    )
                    rows.append(row)
        for name in backends:
            await clients[name].drop_database("bench")
    finally:
        for client in clients.values():
            await client.close()
    return rows
