"""`make bench-backends`: FerretDB's SQLite and PostgreSQL backends, per operation, side by side.

Starts the stack's FerretDB build twice on ports of its own, once on SQLite files (with the
stack's settings) and once on a throwaway PostgreSQL cluster from Debian's packages (installed
with apt-get when missing; initdb runs as the ``postgres`` user when this runs as root), seeds
each with the same few thousand small documents, and measures the operations the services'
repositories make, with 1 and with 8 concurrent clients: ops/s, client-side p50 latency and the
servers' CPU per operation from ``/proc/<pid>/stat`` (FerretDB's own and, on PostgreSQL, the
postmaster's and its backends', which the mesh pays too). Each cell runs on one backend then the
other, so that drift on a shared machine hits both alike. Prints a table and writes a JSON report
under .cache/reports/. Everything it starts is stopped at the end and its data deleted.
"""

import argparse
import asyncio
import contextlib
import functools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_cost
import stack
from pymongo import AsyncMongoClient, ReturnDocument, UpdateOne

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout

SCRATCH = stack.CACHE / "backends"
REPORT = stack.CACHE / "reports" / "bench-backends.json"
BACKENDS = ("sqlite", "postgresql")
IN_IDS = 100
BULK_UPDATES = 200  # one bulk_write call is one operation here
WARMUP_OPERATIONS = 10
# PostgreSQL's settings for a throwaway cluster: commits do not wait for the WAL flush, as the
# stack's SQLite files use synchronous(NORMAL) (a crash may lose the last commits, never corrupt).
POSTGRESQL_SETTINGS = {"synchronous_commit": "off", "listen_addresses": "127.0.0.1"}


class BenchError(RuntimeError):
    """What the person running the benchmark has to act on."""


# --- PostgreSQL -----------------------------------------------------------------------------


def postgresql_bin() -> Path:
    """The newest installed PostgreSQL's programs, installing Debian's package when none is."""
    if found := sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return found[-1].parent
    say("postgresql: not installed, installing Debian's package with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and shutil.which("sudo") is None:
        raise BenchError("PostgreSQL is missing: run `apt-get install postgresql` as root")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
    ):
        subprocess.run([*sudo, *argv], env=environment, check=True, stdout=subprocess.DEVNULL)
    if found := sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return found[-1].parent
    raise BenchError("apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb")


@contextlib.contextmanager
def postgresql_cluster(port: int) -> Iterator[Path]:
    """A fresh cluster on 127.0.0.1:port with a ``ferretdb`` database; yields its data folder.

    PostgreSQL refuses to run as root: then the cluster belongs to the package's ``postgres``
    user, its commands run through runuser.
    """
    programs = postgresql_bin()
    home = SCRATCH / "postgresql"
    shutil.rmtree(home, ignore_errors=True)
    data = home / "data"
    home.mkdir(parents=True)
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    options = " ".join(f"-c {key}={value}" for key, value in POSTGRESQL_SETTINGS.items())
    options += f" -p {port} -c unix_socket_directories={home}"
    initdb = [*as_owner, str(programs / "initdb"), "-D", str(data), "-U", "postgres"]
    initdb += ["-E", "UTF8", "--locale=C", "--auth=trust", "--no-sync"]
    subprocess.run(initdb, check=True, stdout=subprocess.DEVNULL)
    pg_ctl = [*as_owner, str(programs / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*pg_ctl, "-l", str(home / "postgresql.log"), "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        createdb = [str(programs / "createdb"), "-h", "127.0.0.1", "-p", str(port)]
        subprocess.run([*createdb, "-U", "postgres", "ferretdb"], check=True)
        yield data
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(home, ignore_errors=True)


def postgresql_cpu_seconds(data: Path) -> float:
    """CPU of the postmaster and all its processes: the live ones' own, the exited ones' as
    their parent's children time."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pid, parent = int(entry.name), int(fields[1])
            if pid == postmaster:
                total += sum(int(tick) for tick in fields[11:15])  # utime stime cutime cstime
            elif parent == postmaster:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# --- FerretDB -------------------------------------------------------------------------------


@dataclass
class Backend:
    """One FerretDB process on one storage, and what it costs."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    postgresql_data: Path | None = None
    ids: list[str] = field(default_factory=list)  # the seeded documents'
    versions: dict[str, int] = field(default_factory=dict)  # each document's, as last written

    def cpu_seconds(self) -> dict[str, float]:
        cpu = {"ferretdb": bench_cost.cpu_seconds(self.process.pid) or 0.0}
        if self.postgresql_data is not None:
            cpu["postgresql"] = postgresql_cpu_seconds(self.postgresql_data)
        return cpu


def ferretdb_command(binary: Path, backend: str, port: int, postgresql_port: int) -> list[str]:
    """The stack's own command line (its SQLite settings, no debug server), moved to the
    benchmark's port and data, and on PostgreSQL instead of SQLite for that backend."""
    server = stack.FerretDB(stack.Settings(mongo_port=port))
    server.data = SCRATCH / f"sqlite-{port}"
    server.state = SCRATCH / f"state-{port}"
    for directory in (server.data, server.state):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    argv = [str(binary), *server.command()[1:]]
    if backend == "postgresql":
        url = f"postgres://postgres@127.0.0.1:{postgresql_port}/ferretdb"
        argv = [arg for arg in argv if not arg.startswith(("--handler=", "--sqlite-url="))]
        argv += ["--handler=postgresql", f"--postgresql-url={url}"]
    return argv


@contextlib.contextmanager
def ferretdb(
    binary: Path, backend: str, port: int, postgresql_port: int, data: Path | None
) -> Iterator[Backend]:
    argv = ferretdb_command(binary, backend, port, postgresql_port)
    with (SCRATCH / f"ferretdb-{port}.log").open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:
        probe = stack.FerretDB(stack.Settings(mongo_port=port))
        deadline = time.monotonic() + 30
        while (problem := probe.probe()) is not None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"FerretDB on {backend} did not start: {problem}")
            time.sleep(0.2)
        yield Backend(backend, process, f"mongodb://127.0.0.1:{port}/", data)
    finally:
        process.terminate()
        process.wait(timeout=15)


# --- the operations -------------------------------------------------------------------------

Collection = Any  # pymongo's AsyncCollection[dict[str, Any]]
Operation = Callable[[Collection, Backend, list[str], random.Random], Awaitable[None]]


def document(number: int) -> dict[str, Any]:
    """About 200 bytes of BSON, the shape of a small aggregate with a version."""
    return {
        "_id": f"doc-{number:06d}",
        "version": 1,
        "counter": 0,
        "status": "placed",
        "sku": f"SKU-{number % 97:04d}",
        "payload": "x" * 100,
    }


async def insert_one(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    await docs.insert_one({**document(0), "_id": f"new-{rng.getrandbits(64):016x}"})


async def find_one_id(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    if await docs.find_one({"_id": rng.choice(ids)}) is None:
        raise BenchError("find_one by _id found nothing")


async def versioned_update(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    key = rng.choice(ids)  # this client's own ids: no other client changes their version
    version = backend.versions.get(key, 1)
    found = await docs.find_one_and_update(
        {"_id": key, "version": version},
        {"$inc": {"version": 1}, "$set": {"status": "accepted"}},
        return_document=ReturnDocument.AFTER,
    )
    if found is None:
        raise BenchError(f"the versioned update of {key} at version {version} matched nothing")
    backend.versions[key] = version + 1


async def update_one_id(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    await docs.update_one({"_id": rng.choice(ids)}, {"$inc": {"counter": 1}})


async def find_in_100(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    found = await docs.find({"_id": {"$in": rng.sample(backend.ids, IN_IDS)}}).to_list()
    if len(found) != IN_IDS:
        raise BenchError(f"find by {IN_IDS} ids found {len(found)}")


async def bulk_write_200(
    docs: Collection, backend: Backend, ids: list[str], rng: random.Random
) -> None:
    chosen = rng.sample(ids, min(BULK_UPDATES, len(ids)))
    updates = [UpdateOne({"_id": key}, {"$inc": {"counter": 1}}) for key in chosen]
    await docs.bulk_write(updates, ordered=False)


OPERATION_FUNCTIONS: dict[str, Operation] = {  # in the order they run
    "insert_one": insert_one,
    "find_one_id": find_one_id,
    "versioned_update": versioned_update,
    "update_one_id": update_one_id,
    "find_in_100": find_in_100,
    "bulk_write_200": bulk_write_200,
}

OPERATIONS = tuple(OPERATION_FUNCTIONS)

# --- measuring ------------------------------------------------------------------------------


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


def table(rows: list[dict[str, Any]], names: list[str]) -> list[str]:
    """Markdown: one line per operation and concurrency, the backends side by side."""
    header = "| operation | clients |"
    rule = "|---|---:|"
    for name in names:
        header += f" {name} ops/s | p50 ms | server CPU ms/op |"
        rule += "---:|---:|---:|"
    lines = [header, rule]
    cells = {(row["operation"], row["clients"], row["backend"]): row for row in rows}
    for operation, clients in dict.fromkeys((row["operation"], row["clients"]) for row in rows):
        line = f"| {operation} | {clients} |"
        for name in names:
            row = cells[(operation, clients, name)]
            cpu = row["server_cpu_ms"]
            parts = " + ".join(f"{value:.2f}" for value in cpu.values())
            total = f"{row['server_cpu_ms_total']:.2f}" + (f" ({parts})" if len(cpu) > 1 else "")
            line += f" {row['ops_per_second']:.0f} | {row['p50_ms']:.2f} | {total} |"
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make bench-backends", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    parser.add_argument("--operations", default=",".join(OPERATIONS), help=",".join(OPERATIONS))
    parser.add_argument("--clients", default="1,8", help="concurrent clients per cell")
    parser.add_argument("--documents", type=int, default=3000, help="seeded per backend")
    parser.add_argument("--seconds", type=float, default=2.0, help="measured per cell")
    parser.add_argument("--ferretdb", type=Path, default=None, help="binary (the stack's build)")
    parser.add_argument("--sqlite-port", type=int, default=27118)
    parser.add_argument("--postgresql-ferretdb-port", type=int, default=27119)
    parser.add_argument("--postgresql-port", type=int, default=55432)
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    names = [name for name in args.backends.split(",") if name]
    args.operations = [name for name in args.operations.split(",") if name]
    args.clients = [int(number) for number in args.clients.split(",")]
    if unknown := set(names) - set(BACKENDS) | set(args.operations) - set(OPERATIONS):
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    binary = args.ferretdb
    if binary is None:
        server = stack.FerretDB(stack.Settings())
        if not server.installed():
            say("ferretdb: building the stack's FerretDB first (several minutes)")
            stack.install_missing([server])
        binary = server.binary
    SCRATCH.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    ports = {"sqlite": args.sqlite_port, "postgresql": args.postgresql_ferretdb_port}
    try:
        with contextlib.ExitStack() as servers:
            data = None
            if "postgresql" in names:
                data = servers.enter_context(postgresql_cluster(args.postgresql_port))
            backends = {
                name: servers.enter_context(
                    ferretdb(
                        binary,
                        name,
                        ports[name],
                        args.postgresql_port,
                        data if name == "postgresql" else None,
                    )
                )
                for name in names
            }
            say(f"measuring {', '.join(names)} with {binary.name}")
            rows = asyncio.run(run(args, backends))
    except (BenchError, subprocess.CalledProcessError) as error:
        say(f"error: {error}", file=sys.stderr)
        return 1
    postgres_version = ""
    if "postgresql" in names:
        postgres = postgresql_bin() / "postgres"
        postgres_version = subprocess.run(
            [str(postgres), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    report = {
        "ferretdb": binary.name,
        "postgresql": postgres_version,
        "postgresql_settings": POSTGRESQL_SETTINGS,
        "documents": args.documents,
        "seconds_per_cell": args.seconds,
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "wall_seconds": round(time.monotonic() - started, 1),
        "rows": rows,
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    say(f"\nserver CPU: FerretDB's, plus PostgreSQL's on postgresql; {args.documents} documents")
    for line in table(rows, names):
        say(line)
    say(f"report written to {args.report} ({report['wall_seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
