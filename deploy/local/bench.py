"""`make bench`: throughput and latency of the mesh on this machine, next to this run's baselines.

Runs the four services as separate processes (as `make demo` does) on a topic prefix and
databases of the run's own, with the checkout simulator's orders and instant simulated carriers,
in three phases: a fixed offered load, saturation (every order published at once) and a flash
sale (many orders on a few hot SKUs, with stock that runs out). Latency comes from the events'
own ``occurred_at`` along each order's journey. Each phase also gets its cost model: CPU per
order of every process (the services, FerretDB, Kafka, Jaeger), database commands and Kafka
messages and commits per order (``bench_cost``). Then, with the services stopped, it measures the
baselines: a null mesh (same topics, partitions, hops and message sizes; handlers that only
forward), Kafka's own producer and consumer performance tools on this broker (the machine's
ceiling, ``bench_ceiling``) and the database's single-document update rate. Prints a table,
writes a JSON report and an HTML page under .cache/reports/, and deletes the run's topics.

Figures from a shared machine drift from run to run: the ratios to the same run's baselines are
the figures to compare between runs, not the absolute ones.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import audit
import bench_baseline
import bench_ceiling
import bench_cost
import bench_report
import bench_sasl
import demo
import stack
from bench_journey import JOURNEY, Journeys, figures, observer, oversell
from mesh import Instance, running_mesh
from opentelemetry import context as otel_context
from pymongo import AsyncMongoClient

from conveyor_contracts.topics import CARRIER_CODES, CHECKOUT_ORDERS, WAREHOUSE_RECEIPTS
from conveyor_runtime.kafka_admin import delete_topics_with_prefix
from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.catalogue import HOT_SKUS
from conveyor_simulators.checkout import CheckoutSettings, make_order, plan_receipts
from conveyor_simulators.kafka import broker, credentials, tracer_provider
from conveyor_simulators.run_carrier import build_carriers

REPORTS = stack.CACHE / "reports"
PHASES = ("fixed_load", "saturation", "flash_sale")
SASL_ORDERS, SASL_RECORDS = 500, 100_000  # per round of the SASL comparison (bench_sasl)
INSTANT = 1e6  # carrier time acceleration: an hour's pickup delay becomes 3.6 ms
say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


@contextlib.asynccontextmanager
async def _carriers(endpoints: stack.Endpoints, prefix: str, seed: int) -> Any:
    """The six simulated carriers, accepting every booking and delivering at once."""
    instant = CarrierSettings(
        seed=seed, decline_rate=0.0, failed_delivery_rate=0.0, lost_rate=0.0,
        duplicate_rate=0.0, out_of_order_rate=0.0,
    )  # fmt: skip
    simulated = build_carriers(
        CARRIER_CODES,
        bootstrap=endpoints.kafka,
        provider_for=functools.partial(tracer_provider, otlp_endpoint=endpoints.otlp_http),
        settings=instant,
        speed=INSTANT,
        prefix=prefix,
        kafka_credentials=endpoints.kafka_credentials,
    )
    for kafka, _, _ in simulated:
        await kafka.start()
    try:
        yield
    finally:
        for kafka, provider, carrier in simulated:
            carrier.close()
            await kafka.stop()
            provider.shutdown()


async def _publish_orders(
    endpoints: stack.Endpoints, prefix: str, settings: CheckoutSettings, rate: float
) -> list[str]:
    """The checkout simulator's orders, stamped with the time they are really placed."""
    provider = tracer_provider("checkout-simulator", endpoints.otlp_http)
    placed = []
    login = credentials(endpoints.kafka_credentials, CHECKOUT_ORDERS.producer)
    async with broker(endpoints.kafka, "checkout-simulator", provider, login) as kafka:
        for index in range(settings.orders):
            order = make_order(settings, index).model_copy(update={"occurred_at": _now()})
            token = otel_context.attach(otel_context.Context())  # each order its own trace
            try:
                await kafka.publish(
                    order.model_dump(mode="json"),
                    prefix + CHECKOUT_ORDERS.name,
                    key=order.order_id.encode(),
                )
            finally:
                otel_context.detach(token)
            placed.append(order.order_id)
            if rate > 0:
                await asyncio.sleep(1.0 / rate)
    provider.shutdown()
    return placed


def _now() -> datetime:
    return datetime.now(UTC)


async def _until_settled(journeys: Journeys, order_ids: list[str], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if journeys.settled(order_ids):
            return True
        await asyncio.sleep(0.5)
    return False


def _demand(phases: Iterable[CheckoutSettings]) -> Counter[tuple[str, str]]:
    """Units the phases' orders ask for, per (warehouse, sku): one warehouse per market here."""
    warehouse_of = {warehouse.split("-")[1]: warehouse for warehouse in demo.WAREHOUSES}
    wanted: Counter[tuple[str, str]] = Counter()
    for settings in phases:
        for index in range(settings.orders):
            order = make_order(settings, index)
            for line in order.lines:
                wanted[(warehouse_of[order.market], line.sku)] += line.quantity
    return wanted


async def _stock_warehouses(
    endpoints: stack.Endpoints,
    prefix: str,
    args: argparse.Namespace,
    phases: dict[str, CheckoutSettings],
) -> dict[tuple[str, str], int]:
    """The warehouse simulator's receipts: every SKU what the run's orders ask for plus
    ``--stock`` spare, except the flash sale's hot SKUs: what the other phases ask for plus
    ``--hot-stock``, which the sale runs out of. Returns the units received per (warehouse, sku)."""
    everything = _demand(phases.values())
    before_sale = _demand(settings for name, settings in phases.items() if name != "flash_sale")
    receipts = []
    for receipt in plan_receipts(args.seed, demo.WAREHOUSES, args.stock):
        key = (receipt.warehouse_id, receipt.sku)
        if receipt.sku in HOT_SKUS:
            units = before_sale[key] + args.hot_stock
        else:
            units = everything[key] + args.stock
        receipts.append(receipt.model_copy(update={"quantity": units}))
    provider = tracer_provider("warehouse-simulator", None)
    login = credentials(endpoints.kafka_credentials, WAREHOUSE_RECEIPTS.producer)
    async with broker(endpoints.kafka, "warehouse-simulator", provider, login) as client:
        for receipt in receipts:
            await client.publish(
                receipt.model_dump(mode="json"),
                prefix + WAREHOUSE_RECEIPTS.name,
                key=receipt.sku.encode(),
            )
    provider.shutdown()
    return {(receipt.warehouse_id, receipt.sku): receipt.quantity for receipt in receipts}


async def _until_stocked(
    mongo: AsyncMongoClient[dict[str, Any]], database: str, received: dict[tuple[str, str], int]
) -> None:
    """Wait until inventory has put every receipt away, so no order meets an empty shelf."""
    for _ in range(240):
        documents = await mongo[database]["stock"].find().to_list()
        on_hand = {(d["warehouse_id"], d["sku"]): d["on_hand"] for d in documents}
        if on_hand == received:
            return
        await asyncio.sleep(0.5)
    raise SystemExit("inventory did not put the receipts away within 2 minutes")


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _server_pids(endpoints: stack.Endpoints) -> dict[str, int]:
    """The pids of this checkout's FerretDB, Kafka and Jaeger, for those the run talks to."""
    settings = stack.Settings.from_env()
    local = stack.Endpoints.of(settings)
    used = {
        "ferretdb": endpoints.mongo_url == local.mongo_url,
        "kafka": endpoints.kafka == local.kafka,
        "jaeger": endpoints.otlp_http == local.otlp_http,
    }
    found = {
        server.name: pid
        for server in stack.all_servers(settings)
        if used.get(server.name) and (pid := stack.running_pid(server)) is not None
    }
    return {name: found[name] for name in bench_cost.SERVERS if name in found}


def _usage(
    services: list[Instance],
    phases: dict[str, tuple[bench_cost.Sample, ...]],
) -> dict[str, Any]:
    """CPU and memory of the services and of the benchmark's own process, over the whole run
    (idle windows included) and per phase."""
    peaks = {service.name: _peak_rss_mib(service.pid) for service in services}
    peaks[bench_cost.LOAD] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    first, last = phases[PHASES[0]][0], phases[PHASES[-1]][-1]
    seconds = last.at - first.at
    usage = {}
    for name, peak in peaks.items():
        cpu = (last.cpu[name] or 0.0) - (first.cpu[name] or 0.0)
        usage[name] = {
            "cpu_seconds": round(cpu, 1),
            "cpu_percent": round(100 * cpu / seconds, 1),
            "peak_rss_mib": peak,
            "cpu_seconds_by_phase": {
                phase: round((end.cpu[name] or 0.0) - (start.cpu[name] or 0.0), 1)
                for phase, (_, start, end) in phases.items()
            },
        }
    return usage


@contextlib.contextmanager
def _profiled(pid: int | None, output: Path) -> Any:
    """py-spy on one process while the block runs, when asked for and py-spy is installed."""
    spy = shutil.which("py-spy")
    if pid is None or spy is None:
        yield None
        return
    # py-spy writes its profile when interrupted, so it records exactly the block's time.
    process = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", "50", "--format", "raw", "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield output
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


async def _phase(
    name: str, settings: CheckoutSettings, rate: float, budget: float, context: dict[str, Any]
) -> list[str]:
    """Measure the processes' idle rate for a few seconds, then publish one phase's orders and
    give them the phase's time budget to settle; the meter's samples go to ``context``.

    Orders still in flight when the budget runs out are counted as unsettled, not waited for:
    a benchmark on a shared machine has to end in bounded time.
    """
    endpoints, prefix, journeys = context["endpoints"], context["prefix"], context["journeys"]
    meter: bench_cost.Meter = context["meter"]
    idle = await meter.sample(scrape=False)
    await asyncio.sleep(context["idle_seconds"])
    start = await meter.sample()
    say(f"{name}: {settings.orders} orders at " + (f"{rate:g}/s" if rate else "once"))
    order_ids = await _publish_orders(endpoints, prefix, settings, rate)
    await _until_settled(journeys, order_ids, budget)
    context["samples"][name] = (idle, start, await meter.sample())
    return order_ids


async def run(args: argparse.Namespace, endpoints: stack.Endpoints) -> dict[str, Any]:
    async with demo.run_namespace("bench", endpoints) as (prefix, log_dir):
        return await _measure(args, endpoints, prefix, log_dir)


async def _measure(
    args: argparse.Namespace, endpoints: stack.Endpoints, prefix: str, log_dir: Path
) -> dict[str, Any]:
    journeys = Journeys()
    admin = endpoints.kafka_login()  # the observer, the auditor and the baselines
    samples: dict[str, tuple[bench_cost.Sample, ...]] = {}
    context: dict[str, Any] = {"endpoints": endpoints, "prefix": prefix, "journeys": journeys,
                               "samples": samples, "idle_seconds": args.idle}  # fmt: skip
    plain = functools.partial(CheckoutSettings, cancel_ratio=0.0, invalid_ratio=0.0)
    orders_of = {
        "fixed_load": plain(orders=args.orders, seed=args.seed),
        "saturation": plain(orders=args.burst, seed=args.seed + 1),
        "flash_sale": plain(orders=args.flash, seed=args.seed + 2, flash_sale=True),
    }
    load_before = os.getloadavg()
    phases: dict[str, list[str]] = {}
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongo_url)
    profile = REPORTS / f"{prefix}profile.txt"
    REPORTS.mkdir(parents=True, exist_ok=True)
    say(f"bench {prefix.rstrip('-')}: service logs in {log_dir}")
    async with contextlib.AsyncExitStack() as running:
        running.push_async_callback(mongo.close)
        started = await running.enter_async_context(
            running_mesh(endpoints, prefix, log_dir, instances=args.instances)
        )
        services = started.instances
        spy = observer(endpoints.kafka, prefix, journeys, admin)
        await spy.start()
        running.push_async_callback(spy.stop)
        await running.enter_async_context(_carriers(endpoints, prefix, args.seed))
        received = await _stock_warehouses(endpoints, prefix, args, orders_of)
        await _until_stocked(mongo, f"{prefix}inventory", received)
        context["meter"] = meter = bench_cost.Meter(
            {service.name: (service.pid, service.port) for service in services},
            _server_pids(endpoints),
        )
        phases["fixed_load"] = await _phase(
            "fixed_load", orders_of["fixed_load"], args.rate, args.budget, context
        )
        _, steady_start, steady_end = samples["fixed_load"]
        hottest = max(
            services,
            key=lambda s: (steady_end.cpu[s.name] or 0.0) - (steady_start.cpu[s.name] or 0.0),
        )
        with _profiled(hottest.pid if args.profile else None, profile):
            phases["saturation"] = await _phase(
                "saturation", orders_of["saturation"], 0.0, args.saturation_budget, context
            )
        phases["flash_sale"] = await _phase(
            "flash_sale", orders_of["flash_sale"], 0.0, args.flash_budget, context
        )
        processes = _usage(services, samples)
        stock = await mongo[f"{prefix}inventory"]["stock"].find().to_list()
        crashed = started.crashed()
        # A phase's budget may cut its orders short; the services go on with them. Once they
        # are done everything is audited; if they are still busy (a full run's backlog), only
        # what holds mid-flight is: the rest would report orders merely not finished yet.
        at_rest = await audit.until_quiet(endpoints.kafka, endpoints.mongo_url, prefix, 30.0, admin)
        audited = await audit.audit(
            endpoints.kafka,
            endpoints.mongo_url,
            prefix,
            skip={} if at_rest else audit.AT_REST,
            quiet_within=0.0,
            credentials=admin,
        )

    mesh = {name: figures(journeys, order_ids) for name, order_ids in phases.items()}
    costs = {
        name: bench_cost.phase_cost(meter.processes, len(phases[name]), *samples[name])
        for name in PHASES
    }
    sizes = journeys.mean_sizes()
    say("baselines: null mesh, Kafka's own performance tools, then database writes")
    null = {
        "fixed_load": await bench_baseline.null_mesh(
            endpoints.kafka, prefix, sizes, orders=args.orders, rate=args.rate, credentials=admin
        ),
        "saturation": await bench_baseline.null_mesh(
            endpoints.kafka, f"{prefix}sat-", sizes, orders=args.burst, rate=0.0, credentials=admin
        ),
    }
    ceiling = await _ceiling(
        endpoints.kafka, prefix, journeys.mean_size(), args.ceiling_records, admin
    )
    sasl = await _sasl(prefix, sizes, args, journeys.mean_size())
    await delete_topics_with_prefix(endpoints.kafka, prefix, credentials=admin)
    hops = len(JOURNEY) - 1
    database = await bench_baseline.database_writes(
        endpoints.mongo_url, f"{prefix}writes", updates=args.burst * hops, writers=4
    )
    report: dict[str, Any] = {
        "run": prefix.rstrip("-"),
        "mode": "short" if args.short else "full",
        "when": _now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "shared": "other test runs may share the machine: compare ratios, not absolutes",
        },
        "settings": {
            "orders": args.orders,
            "rate": args.rate,
            "burst": args.burst,
            "flash_orders": args.flash,
            "spare_stock_per_sku_and_warehouse": args.stock,
            "hot_sku_stock_per_warehouse_for_the_flash_sale": args.hot_stock,
            "hops": hops,
            "budget_seconds": {
                "fixed_load": args.budget,
                "saturation": args.saturation_budget,
                "flash_sale": args.flash_budget,
            },
            "idle_window_seconds": args.idle,
            "instances_per_service": args.instances,
            "kafka_ceiling_records": args.ceiling_records,
            "carriers": "instant (no declines, failures or losses)",
        },
        "message_bytes": sizes,
        "mesh": mesh,
        "baseline": {"null_mesh": null, "database": database},
        "sasl_cost": sasl,
        "ratios": _ratios(mesh, null, database, hops),
        "cost_model": {
            "processes": meter.processes,
            "phases": costs,
            "kafka_ceiling": _implied(ceiling, costs["saturation"], mesh["saturation"]),
        },
        "flash_sale": {
            "orders": len(phases["flash_sale"]),
            "hot_skus": list(HOT_SKUS),
            "outcomes": dict(
                Counter(journeys.status.get(o, "not seen") for o in phases["flash_sale"])
            ),
            "oversell": oversell(journeys, received),
            "broken_stock_documents": sum(
                1 for d in stock if not d["on_hand"] >= d["reserved"] >= 0
            ),
        },
        "processes": processes,
        "hottest_service": hottest.name,
        "profile": str(profile) if profile.exists() else None,
        "audit": audited.to_json(),
    }
    over, broken = (
        report["flash_sale"]["oversell"]["oversold_units"],
        report["flash_sale"]["broken_stock_documents"],
    )
    report["problems"] = [
        *(f"{name} crashed; see its log" for name in crashed),
        *([f"{over} units oversold"] if over else []),
        *([f"{broken} stock documents with on_hand < reserved"] if broken else []),
        *audited.problems(),
    ]
    t0 = min(
        journeys.at[o]["placed"]
        for ids in phases.values()
        for o in ids
        if "placed" in journeys.at[o]
    )
    report["samples"] = [
        (phase, round(j["placed"] - t0, 3), round(j["booked"] - t0, 3))
        for phase, ids in phases.items()
        for j in (journeys.at[o] for o in ids)
        if "placed" in j and "booked" in j
    ]
    return report


async def _ceiling(
    kafka: str, prefix: str, record_bytes: int, records: int, admin: KafkaCredentials | None
) -> dict[str, Any]:
    try:
        return await bench_ceiling.kafka_ceiling(
            kafka,
            f"{prefix}ceiling",
            records=records,
            record_bytes=record_bytes,
            partitions=6,
            credentials=admin,
        )
    except bench_ceiling.CeilingUnavailableError as error:
        say(f"Kafka ceiling not measured: {error}")
        return {"unavailable": str(error)}


async def _sasl(
    prefix: str,
    sizes: dict[str, int],
    args: argparse.Namespace,
    record_bytes: int,
) -> dict[str, Any]:
    """SASL's cost on two twin brokers, one authenticated and one open (bench_sasl)."""
    say("SASL's cost: the null mesh and Kafka's tools on an authenticated and an open twin")
    try:
        return await bench_sasl.sasl_cost(
            prefix,
            sizes,
            # The handshakes are a cost per connection: a few hundred orders show it per
            # order, as the full burst five times over would, in a fraction of the time.
            orders=min(args.burst, SASL_ORDERS),
            records=min(args.ceiling_records, SASL_RECORDS),
            record_bytes=record_bytes,
        )
    except (bench_ceiling.CeilingUnavailableError, stack.StackError) as error:
        say(f"SASL's cost not measured: {error}")
        return {"unavailable": str(error)}


def _implied(
    ceiling: dict[str, Any], saturation: dict[str, Any], mesh: dict[str, Any]
) -> dict[str, Any]:
    """The orders per second the broker's ceiling would allow at the saturation phase's
    messages per order: produced records/s ÷ messages the services produced per order, and
    consumed records/s (fetching, the group join left out) ÷ messages they consumed per order."""
    if "unavailable" in ceiling:
        return ceiling
    kafka = saturation["kafka_per_order"]
    produced, consumed = kafka["produced"]["total"], kafka["consumed"]["total"]
    by_producer = (
        round(ceiling["producer"]["records_per_second"] / produced, 1) if produced else None
    )
    by_consumer = (
        round(ceiling["consumer"]["fetch_records_per_second"] / consumed, 1) if consumed else None
    )
    delivered = mesh["throughput"]["delivered"]["orders_per_second"]
    limit = min((x for x in (by_producer, by_consumer) if x), default=None)
    return ceiling | {
        "messages_per_order_from": "saturation",
        "implied_orders_per_second": {"producer": by_producer, "consumer": by_consumer},
        "mesh_saturation_to_delivered": _ratio(delivered, limit),
    }


def _ratio(mesh: float | None, baseline: float | None) -> dict[str, float | None]:
    ratio = round(mesh / baseline, 3) if mesh and baseline else None
    return {"mesh": mesh, "baseline": baseline, "ratio": ratio}


def _ratios(
    mesh: dict[str, Any], null: dict[str, Any], database: dict[str, Any], hops: int
) -> dict[str, Any]:
    """Mesh over baseline: throughput (below 1: the mesh is slower than the bare broker) and
    median latency (above 1: the mesh waits longer per hop than the bare broker)."""
    throughput = {
        f"{phase} to {end}": _ratio(
            mesh[phase]["throughput"][end]["orders_per_second"],
            null[phase]["throughput"][end]["orders_per_second"],
        )
        for phase in ("fixed_load", "saturation")
        for end in ("booked", "delivered")
    }
    latency = {
        key: _ratio(
            mesh["fixed_load"]["latency_ms"][key].get("p50"),
            null["fixed_load"]["latency_ms"][key].get("p50"),
        )
        for key in ("placed->booked", "placed->delivered")
    }
    for hop, value in mesh["fixed_load"]["latency_ms"]["hops"].items():
        latency[hop] = _ratio(
            value.get("p50"), null["fixed_load"]["latency_ms"]["hops"][hop].get("p50")
        )
    delivered = mesh["saturation"]["throughput"]["delivered"]["orders_per_second"]
    hop_rate = round(delivered * hops, 1) if delivered else None
    return {
        "throughput": throughput,
        "latency_p50": latency,
        "database": _ratio(hop_rate, database["updates_per_second"]),
    }


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
    local = stack.Endpoints.of(stack.Settings.from_env())
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
    chart.write_text(bench_report.page(report))
    report["chart"] = str(chart)
    path.write_text(json.dumps(report, indent=2))
    for line in bench_report.table(report):
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


if __name__ == "__main__":
    sys.exit(main())
