"""One `make bench` run: the mesh's three phases, its audit, then the baselines, as one report."""

import argparse
import contextlib
import functools
import os
from collections import Counter
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from conveyor_local.audit.auditor import audit, until_quiet
from conveyor_local.audit.checks import AT_REST
from conveyor_local.bench.baseline import database_writes, null_mesh
from conveyor_local.bench.ceiling import CeilingUnavailableError, kafka_ceiling
from conveyor_local.bench.cost import Meter, Sample, phase_cost
from conveyor_local.bench.journey import JOURNEY, Journeys, figures, observer, oversell
from conveyor_local.bench.load import (
    PHASES,
    instant_carriers,
    now,
    run_phase,
    stock_warehouses,
    until_stocked,
)
from conveyor_local.bench.ratios import implied_by_ceiling, ratios
from conveyor_local.bench.sasl import sasl_cost
from conveyor_local.bench.usage import process_usage, profiled, server_pids
from conveyor_local.demo.flow import run_namespace
from conveyor_local.mesh import running_mesh
from conveyor_local.stack.settings import CACHE, Endpoints, StackError
from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_runtime.kafka_topics import delete_topics_with_prefix
from conveyor_simulators.catalogue import HOT_SKUS
from conveyor_simulators.checkout import CheckoutSettings

REPORTS = CACHE / "reports"
SASL_ORDERS, SASL_RECORDS = 500, 100_000  # per round of the SASL comparison (``sasl``)
say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


async def run(args: argparse.Namespace, endpoints: Endpoints) -> dict[str, Any]:
    async with run_namespace("bench", endpoints) as (prefix, log_dir):
        return await _measure(args, endpoints, prefix, log_dir)


async def _measure(
    args: argparse.Namespace, endpoints: Endpoints, prefix: str, log_dir: Path
) -> dict[str, Any]:
    journeys = Journeys()
    admin = endpoints.kafka_login()  # the observer, the auditor and the baselines
    samples: dict[str, tuple[Sample, ...]] = {}
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
        await running.enter_async_context(instant_carriers(endpoints, prefix, args.seed))
        received = await stock_warehouses(endpoints, prefix, args, orders_of)
        await until_stocked(mongo, f"{prefix}inventory", received)
        context["meter"] = meter = Meter(
            {service.name: (service.pid, service.port) for service in services},
            server_pids(endpoints),
        )
        phases["fixed_load"] = await run_phase(
            "fixed_load", orders_of["fixed_load"], args.rate, args.budget, context
        )
        _, steady_start, steady_end = samples["fixed_load"]
        hottest = max(
            services,
            key=lambda s: (steady_end.cpu[s.name] or 0.0) - (steady_start.cpu[s.name] or 0.0),
        )
        with profiled(hottest.pid if args.profile else None, profile):
            phases["saturation"] = await run_phase(
                "saturation", orders_of["saturation"], 0.0, args.saturation_budget, context
            )
        phases["flash_sale"] = await run_phase(
            "flash_sale", orders_of["flash_sale"], 0.0, args.flash_budget, context
        )
        processes = process_usage(services, samples)
        stock = await mongo[f"{prefix}inventory"]["stock"].find().to_list()
        crashed = started.crashed()
        # A phase's budget may cut its orders short; the services go on with them. Once they
        # are done everything is audited; if they are still busy (a full run's backlog), only
        # what holds mid-flight is: the rest would report orders merely not finished yet.
        at_rest = await until_quiet(endpoints.kafka, endpoints.mongo_url, prefix, 30.0, admin)
        audited = await audit(
            endpoints.kafka,
            endpoints.mongo_url,
            prefix,
            skip={} if at_rest else AT_REST,
            quiet_within=0.0,
            credentials=admin,
        )

    mesh = {name: figures(journeys, order_ids) for name, order_ids in phases.items()}
    costs = {
        name: phase_cost(meter.processes, len(phases[name]), *samples[name]) for name in PHASES
    }
    sizes = journeys.mean_sizes()
    say("baselines: null mesh, Kafka's own performance tools, then database writes")
    null = {
        "fixed_load": await null_mesh(
            endpoints.kafka, prefix, sizes, orders=args.orders, rate=args.rate, credentials=admin
        ),
        "saturation": await null_mesh(
            endpoints.kafka, f"{prefix}sat-", sizes, orders=args.burst, rate=0.0, credentials=admin
        ),
    }
    ceiling = await _ceiling(
        endpoints.kafka, prefix, journeys.mean_size(), args.ceiling_records, admin
    )
    sasl = await _sasl(prefix, sizes, args, journeys.mean_size())
    await delete_topics_with_prefix(endpoints.kafka, prefix, credentials=admin)
    hops = len(JOURNEY) - 1
    database = await database_writes(
        endpoints.mongo_url, f"{prefix}writes", updates=args.burst * hops, writers=4
    )
    report: dict[str, Any] = {
        "run": prefix.rstrip("-"),
        "mode": "short" if args.short else "full",
        "when": now().isoformat(timespec="seconds"),
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
        "ratios": ratios(mesh, null, database, hops),
        "cost_model": {
            "processes": meter.processes,
            "phases": costs,
            "kafka_ceiling": implied_by_ceiling(ceiling, costs["saturation"], mesh["saturation"]),
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
        return await kafka_ceiling(
            kafka,
            f"{prefix}ceiling",
            records=records,
            record_bytes=record_bytes,
            partitions=6,
            credentials=admin,
        )
    except CeilingUnavailableError as error:
        say(f"Kafka ceiling not measured: {error}")
        return {"unavailable": str(error)}


async def _sasl(
    prefix: str,
    sizes: dict[str, int],
    args: argparse.Namespace,
    record_bytes: int,
) -> dict[str, Any]:
    """SASL's cost on two twin brokers, one authenticated and one open (``sasl``)."""
    say("SASL's cost: the null mesh and Kafka's tools on an authenticated and an open twin")
    try:
        return await sasl_cost(
            prefix,
            sizes,
            # The handshakes are a cost per connection: a few hundred orders show it per
            # order, as the full burst five times over would, in a fraction of the time.
            orders=min(args.burst, SASL_ORDERS),
            records=min(args.ceiling_records, SASL_RECORDS),
            record_bytes=record_bytes,
        )
    except (CeilingUnavailableError, StackError) as error:
        say(f"SASL's cost not measured: {error}")
        return {"unavailable": str(error)}
