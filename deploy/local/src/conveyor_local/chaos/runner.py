"""`make chaos`: the mesh under a seeded schedule of faults, then the invariant auditor.

Each run is the demo's flow of orders (two instances of every service, the simulated checkout,
carriers, returns dock and agents) on a stack of its own: three Kafka brokers, FerretDB and
Jaeger on ports beside the test stack's, so that killing a broker or freezing the database
disturbs nothing else. While the orders flow, the seed's schedule injects its faults one after
the other; each fault and its time is logged. After the last one the run waits for every order
to reach an end, then the auditor checks the invariants (conveyor_local.audit).

    python -m conveyor_local.chaos --short        one seed, every kind of fault once (CI)
    python -m conveyor_local.chaos                20 seeds, four faults each, and a summary
    python -m conveyor_local.chaos --seed 13      replay one seed: the same faults, in order

The same seed always plans the same schedule (kinds, targets, times, holds); what the mesh does
under it varies with the machine's timing, which is the point of running many seeds.
"""

import argparse
import asyncio
import functools
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from conveyor_local.chaos.cluster import Cluster, chaos_settings
from conveyor_local.chaos.faults import Injector
from conveyor_local.chaos.schedule import Fault, kinds_for, plan
from conveyor_local.demo.flow import run
from conveyor_local.mesh import Mesh
from conveyor_local.stack.commands import down, up
from conveyor_local.stack.settings import CACHE

REPORTS = CACHE / "reports" / "chaos"
AFTER_FLOW = 300.0  # seconds a run may take after its flow: trace sample, audit, teardown
say = functools.partial(print, flush=True)


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
        summary = await asyncio.wait_for(run(flow, cluster.endpoints, faults=inject), within)
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
    cluster = Cluster(settings, up(settings))
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
            down(settings)
    summary = table(reports)
    (reports_dir / "summary.md").write_text(summary + "\n")
    injected = Counter(fault["kind"] for report in reports for fault in report["faults"])
    say("\n" + summary)
    say("faults injected: " + ", ".join(f"{kind} {n}" for kind, n in sorted(injected.items())))
    failed = [report["seed"] for report in reports if report["problems"]]
    say(f"reports in {reports_dir}; " + (f"FAILED seeds: {failed}" if failed else "all passed"))
    return 1 if failed else 0
