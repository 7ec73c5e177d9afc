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
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from conveyor_local.bench_backends.measure import run
from conveyor_local.bench_backends.operations import OPERATIONS
from conveyor_local.bench_backends.servers import (
    POSTGRESQL_SETTINGS,
    SCRATCH,
    BenchError,
    ferretdb,
    postgresql_bin,
    postgresql_cluster,
)
from conveyor_local.stack.ferretdb import FerretDB
from conveyor_local.stack.install import install_missing
from conveyor_local.stack.settings import CACHE, Settings

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout

REPORT = CACHE / "reports" / "bench-backends.json"
BACKENDS = ("sqlite", "postgresql")


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
        server = FerretDB(Settings())
        if not server.installed():
            say("ferretdb: building the stack's FerretDB first (several minutes)")
            install_missing([server])
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
