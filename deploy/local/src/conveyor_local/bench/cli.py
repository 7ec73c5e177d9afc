"""`make bench`: throughput and latency of the mesh on this machine, next to this run's baselines.

Runs the four services as separate processes (as `make demo` does) on a topic prefix and
databases of the run's own, with the checkout simulator's orders and instant simulated carriers,
in three phases: a fixed offered load, saturation (every order published at once) and a flash
sale (many orders on a few hot SKUs, with stock that runs out). Latency comes from the events'
own ``occurred_at`` along each order's journey. Each phase also gets its cost model: CPU per
order of every process (the services, FerretDB, Kafka, Jaeger), database commands and Kafka
messages and commits per order (``cost``). Then, with the services stopped, it measures the
baselines: a null mesh (same topics, partitions, hops and message sizes; handlers that only
forward), Kafka's own producer and consumer performance tools on this broker (the machine's
ceiling, ``ceiling``) and the database's single-document update rate. Prints a table,
writes a JSON report and an HTML page under .cache/reports/, and deletes the run's topics.

Figures from a shared machine drift from run to run: the ratios to the same run's baselines are
the figures to compare between runs, not the absolute ones.
"""

import argparse
import asyncio
import dataclasses
import functools
import json
import logging
from pathlib import Path

from conveyor_local.bench.measure import REPORTS, run
from conveyor_local.bench.report import page, table
from conveyor_local.stack.settings import Endpoints, Settings

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    # The full mode's phases: a fixed load of 20 orders/s, 3000 orders at once, a 5000-order
    # flash sale. Each phase ends once its orders settle, or at its budget: on a two-core
    # machine where the mesh saturates at a few orders a second, the budgets are what bound it.
    parser.add_argument("--orders", type=int, default=600, help="orders at the fixed load")
    parser.add_argument("--rate", type=float, default=20.0, help="fixed offered load, orders/s")
    parser.add_argument("--burst", type=int, default=3000, help="orders published at once")
    parser.add_argument("--flash", type=int, default=5000, help="flash-sale orders")
    parser.add_argument(
        "--stock", type=int, default=500, help="spare units per SKU and warehouse beyond demand"
    )
    parser.add_argument(
        "--hot-stock",
        type=int,
        default=None,
        help="units of each hot SKU per warehouse left for the flash sale (15 %% of its orders)",
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--budget", type=float, default=180.0, help="seconds for the fixed load")
    parser.add_argument("--saturation-budget", type=float, default=900.0, help="for saturation")
    parser.add_argument("--flash-budget", type=float, default=1200.0, help="for the flash sale")
    parser.add_argument("--idle", type=float, default=5.0, help="idle seconds before a phase")
    parser.add_argument(
        "--ceiling-records", type=int, default=200_000, help="records for Kafka's own tools"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the hottest service")
    parser.add_argument(
        "--instances", type=int, default=1, help="processes per service, in one group each"
    )
    parser.add_argument("--short", action="store_true", help="a few hundred orders: the CI run")
    parser.add_argument("--report", default=None, help="JSON path (default .cache/reports/)")
    # `make bench` starts the stack first (it depends on `up`); a test passes its own servers.
    local = Endpoints.of(Settings.from_env())
    parser.add_argument("--kafka", default=local.kafka, help="bootstrap servers")
    parser.add_argument(
        "--kafka-credentials",
        default=str(local.kafka_credentials or ""),
        help="every principal's password, as the local stack makes them ('': no login)",
    )
    parser.add_argument("--mongo-url", default=local.mongo_url)
    parser.add_argument("--otlp", default=local.otlp_http, help="OTLP HTTP endpoint")
    args = parser.parse_args(argv)
    if args.short:
        args.orders, args.rate, args.burst, args.flash = 10, 2.0, 20, 100
        # Budgets at about twice what the short phases take now (5, 6 and 14 s measured).
        args.hot_stock, args.budget, args.saturation_budget = 20, 20.0, 20.0
        args.flash_budget, args.idle, args.ceiling_records = 30.0, 3.0, 50_000
    if args.hot_stock is None:  # the sale sells out about halfway, whatever its size
        args.hot_stock = max(1, round(0.15 * args.flash))
    # The simulators' brokers log every message they handle; the table is this run's output.
    logging.getLogger("faststream.access.kafka").disabled = True
    endpoints = dataclasses.replace(
        local,
        kafka=args.kafka,
        mongo_url=args.mongo_url,
        otlp_http=args.otlp,
        kafka_credentials=Path(args.kafka_credentials) if args.kafka_credentials else None,
    )
    report = asyncio.run(run(args, endpoints))
    path = Path(args.report) if args.report else REPORTS / f"bench-{report['mode']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    chart = path.with_suffix(".html")
    chart.write_text(page(report))
    report["chart"] = str(chart)
    path.write_text(json.dumps(report, indent=2))
    for line in table(report):
        say(line)
    invariants = report["audit"]["invariants"]
    say(
        f"audit: {sum(1 for i in invariants if i['held'])}/{len(invariants)} invariants held, "
        f"{sum(1 for i in invariants if i['skipped'])} skipped (the mesh was still busy)"
    )
    say(f"report written to {path}, chart to {chart}")
    if report["problems"]:
        say("SOMETHING WENT WRONG:\n" + "\n".join(f"  - {p}" for p in report["problems"]))
    return 1 if report["problems"] else 0
