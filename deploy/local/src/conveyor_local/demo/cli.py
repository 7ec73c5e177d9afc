"""`make demo`: the whole mesh at work, from a blank run to a readable summary.

Starts the local stack, then the four services as separate processes, seeds the warehouses,
runs the six simulated carriers and the shop checkout for a few hundred orders with a realistic
mix of failures, shows progress, and ends with what happened. Each run uses its own topic prefix
and databases, so runs never see each other's messages. Exits non-zero when something went wrong
(an order that never reached an end, a dead-lettered message, a service that crashed), saying what.
"""

import argparse
import asyncio
import functools
import json
import logging
import os
from pathlib import Path

from conveyor_local.demo.flow import run
from conveyor_local.demo.summary import print_summary
from conveyor_local.stack.background import building
from conveyor_local.stack.commands import up
from conveyor_local.stack.jaeger import Jaeger
from conveyor_local.stack.settings import CACHE, Settings

REPORT = CACHE / "reports" / "demo-summary.json"
say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.splitlines()[0])
    # A few hundred orders in a few minutes on two cores: 300 ended in 225 s here.
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rate", type=float, default=25.0, help="orders per second")
    parser.add_argument("--speed", type=float, default=3600.0, help="carrier time acceleration")
    parser.add_argument("--stock", type=int, default=60, help="units per SKU per warehouse")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before giving up")
    parser.add_argument("--short", action="store_true", help="40 orders: the CI run")
    parser.add_argument("--report", default=str(REPORT), help="where the JSON summary goes")
    parser.add_argument(
        "--instances", type=int, default=1, help="processes per service, in one group each"
    )
    args = parser.parse_args(argv)
    if args.short:
        args.orders, args.timeout = 40, 300.0
    # The observer's and simulators' consumers would log every message they see; the summary is
    # the output. Filters, because FastStream resets its loggers' levels when a broker starts.
    for name in ("faststream", "faststream.access.kafka"):
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.ERROR)
    # Idempotent: a running stack costs one check. Jaeger's first build goes on in the background.
    endpoints = up(wait_all=False)
    jaeger = Jaeger(Settings.from_env())
    if jaeger.probe() is not None:
        without_jaeger_yet(jaeger)
    summary = asyncio.run(run(args, endpoints))
    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=2))
    print_summary(summary)
    say(f"summary written to {report}")
    return 1 if summary["problems"] else 0


def without_jaeger_yet(jaeger: Jaeger) -> None:
    """The run goes on while Jaeger builds: the spans exported before it answers are dropped,
    quietly, each export giving up after 2 s instead of 10 (or every simulator and service
    would wait that long for it when it stops)."""
    state = building(jaeger)
    if state is not None:
        so_far = state.removeprefix("building ")
        say(f"Jaeger still building: traces will appear once it is up {so_far}")
    else:
        say("Jaeger does not answer: traces will appear once it is up (make status tells)")
    os.environ.setdefault("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2")  # the services inherit it
    exporter = logging.getLogger("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    exporter.setLevel(logging.CRITICAL)  # a refused export, then a retry, per batch
