"""One run of the demo's flow: a namespace of its own, the mesh, the simulators and the desk,
orders until each reaches an end, then the audit and the summary."""

import argparse
import asyncio
import contextlib
import functools
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import (
    CARRIER_CODES,
    TOPICS,
)
from conveyor_local.audit.auditor import audit
from conveyor_local.demo.desk import AfterSalesDesk
from conveyor_local.demo.inbound import announce_inbound, read_inbound, receive_inbound
from conveyor_local.demo.observer import Observed, observer_broker
from conveyor_local.demo.scorecards import read_scorecards
from conveyor_local.demo.summary import percentiles, progress, sample_trace
from conveyor_local.mesh import Mesh, running_mesh
from conveyor_local.stack.settings import LOG_DIR, Endpoints
from conveyor_runtime.kafka_acl import registry_acls
from conveyor_runtime.kafka_acl_admin import delete_acls, ensure_acls
from conveyor_runtime.kafka_topics import delete_topics_with_prefix, ensure_topics, registry_topics
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.checkout import CheckoutSettings, plan_checkout
from conveyor_simulators.kafka import tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_simulators.run_checkout import (
    publish_checkout,
    publish_goods_received,
    publish_receipts,
)
from conveyor_simulators.run_warehouse import build_returns_dock

WAREHOUSES = ("WH-US-NJ1", "WH-CA-ON1", "WH-GB-MAN1")
say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


@contextlib.asynccontextmanager
async def run_namespace(kind: str, endpoints: Endpoints) -> AsyncIterator[tuple[str, Path]]:
    """A run's own topic prefix and log folder: its topics are created for it and deleted when
    it ends (its databases stay, to look at afterwards)."""
    prefix = f"{kind}{int(time.time())}-"
    log_dir = LOG_DIR / prefix.rstrip("-")
    log_dir.mkdir(parents=True, exist_ok=True)
    wanted = registry_topics(prefix)
    # One partition per dead-letter topic: a run parks few messages, and fewer start faster.
    for spec in TOPICS:
        wanted[prefix + spec.dead_letter] = replace(wanted[prefix + spec.dead_letter], partitions=1)
    admin = endpoints.kafka_login()
    await ensure_topics(endpoints.kafka, wanted, credentials=admin)
    # Each principal's rights, moved to the run's topics and groups (and gone with them).
    acls = registry_acls(TOPICS, prefix) if admin else set()
    await ensure_acls(endpoints.kafka, acls, credentials=admin)
    try:
        yield prefix, log_dir
    finally:
        await delete_topics_with_prefix(endpoints.kafka, prefix, credentials=admin)
        await delete_acls(endpoints.kafka, acls, credentials=admin)


async def run(
    args: argparse.Namespace,
    endpoints: Endpoints,
    faults: Callable[[Mesh, str], Coroutine[Any, Any, None]] | None = None,
) -> dict[str, Any]:
    """One run of the flow. ``faults``, when given, is started with the orders (it gets the
    mesh and the run's topic prefix) and the run ends only after it has, and every order too
    (the chaos runner's schedule of faults)."""
    checkout = CheckoutSettings(
        orders=args.orders, seed=args.seed, cancel_ratio=0.06, invalid_ratio=0.03
    )
    placed = [p.message for p in plan_checkout(checkout) if isinstance(p.message, OrderPlaced)]
    expected = [order.order_id for order in placed]
    lines = {o.order_id: [(line.sku, line.quantity) for line in o.lines] for o in placed}
    carriers = CarrierSettings(
        seed=args.seed, decline_rate=0.1, failed_delivery_rate=0.08, lost_rate=0.02,
        duplicate_rate=0.05, out_of_order_rate=0.05,
        # One carrier per market holds a share of its parcels at a hub for days: late parcels.
        late_rates={"libertyparcel": 0.3, "maplefreight": 0.3, "highlandcourier": 0.3},
    )  # fmt: skip
    observed = Observed()

    async with contextlib.AsyncExitStack() as running:
        prefix, log_dir = await running.enter_async_context(run_namespace("demo", endpoints))
        say(f"demo {prefix.rstrip('-')}: {len(expected)} orders, service logs in {log_dir}")
        mesh = await running.enter_async_context(
            running_mesh(
                endpoints,
                prefix,
                log_dir,
                instances=args.instances,
                settings={
                    # Backorders the demo's receipts never cover end short within the run.
                    "INVENTORY_BACKORDER_MAX_WAIT_SECONDS": "30",
                    # The carriers' figures the run ends with are at most this old.
                    "SHIPPING_SCORECARD_REFRESH_SECONDS": "2",
                },
            )
        )
        say("services ready: " + ", ".join(f"{i.name} :{i.port}" for i in mesh.instances))
        observer = observer_broker(endpoints, prefix, observed)
        await observer.start()
        running.push_async_callback(observer.stop)
        simulated = build_carriers(
            CARRIER_CODES,
            bootstrap=endpoints.kafka,
            kafka_credentials=endpoints.kafka_credentials,
            provider_for=functools.partial(tracer_provider, otlp_endpoint=endpoints.otlp_http),
            settings=carriers,
            speed=args.speed,
            prefix=prefix,
        )
        for kafka, provider, carrier in simulated:
            await kafka.start()
            running.push_async_callback(kafka.stop)
            running.callback(provider.shutdown)
            running.callback(carrier.close)
        dock, _ = build_returns_dock(
            bootstrap=endpoints.kafka,
            kafka_credentials=endpoints.kafka_credentials,
            provider=tracer_provider("warehouse-returns", endpoints.otlp_http),
            prefix=prefix,
            seed=args.seed,
            damaged_rate=0.2,
        )
        await dock.start()
        running.push_async_callback(dock.stop)
        agent = functools.partial(mesh.tokens.mint, "agent", "demo-agent")
        desk = AfterSalesDesk(functools.partial(mesh.url, "support"), agent, lines)
        await publish_receipts(
            seed=args.seed,
            warehouses=WAREHOUSES,
            quantity=args.stock,
            bootstrap=endpoints.kafka,
            kafka_credentials=endpoints.kafka_credentials,
            prefix=prefix,
        )
        # Each seller announces its ASNs with its own token; the receipts against them follow
        # (stock in addition to the opening stock).
        seller = functools.partial(mesh.tokens.mint, "seller")
        operator = functools.partial(mesh.tokens.mint, "operator", "demo-operator")
        asns, announced, refused = await announce_inbound(mesh.url, seller, args.seed, WAREHOUSES)
        refused += await receive_inbound(
            mesh.url,
            operator,
            args.seed,
            announced,
            functools.partial(
                publish_goods_received,
                bootstrap=endpoints.kafka,
                kafka_credentials=endpoints.kafka_credentials,
                prefix=prefix,
            ),
        )
        started = time.monotonic()
        publishing = asyncio.create_task(
            publish_checkout(
                checkout,
                rate=args.rate,
                bootstrap=endpoints.kafka,
                kafka_credentials=endpoints.kafka_credentials,
                prefix=prefix,
                otlp=endpoints.otlp_http,
            )
        )
        faulting = asyncio.create_task(faults(mesh, prefix)) if faults else None
        faults_over: list[float] = []
        if faulting:
            faulting.add_done_callback(lambda _: faults_over.append(time.monotonic()))
        crashed: list[str] = []
        failed_faults: list[str] = []
        while time.monotonic() - started < args.timeout:
            await asyncio.sleep(2.0)
            await desk.act(observed)
            say(progress(observed, expected, started))
            crashed = mesh.crashed()
            if faulting and faulting.done() and faulting.exception():
                failed_faults = [f"a fault could not be carried out: {faulting.exception()!r}"]
            done = (
                publishing.done()
                and (faulting is None or faulting.done())
                and all(observed.ended(o) for o in expected)
                and all(
                    observed.status[o] == "refund_requested" or o in observed.booking_failed
                    for o in desk.returning()
                )
                # A lost parcel ends once the desk has reshipped (then delivered) or refunded it.
                and all(o in desk.settled for o in expected if observed.status[o] == "lost")
            )
            if crashed or failed_faults or done:
                break
        ended = time.monotonic()
        if faulting and not faulting.done():
            faulting.cancel()
            failed_faults = ["the faults were still being injected when the run timed out"]
        await publishing
        sample = await sample_trace(endpoints.jaeger, observed)
        scorecards = await read_scorecards(mesh.url, operator)
        inbound = await read_inbound(mesh.url, operator, asns)
        elapsed = time.monotonic() - started
        # While the services still run (the last messages settle) and before the run's topics
        # are deleted. The checkout's invalid orders are valid messages, rejected by orders:
        # no dead letter is expected.
        audited = await audit(
            endpoints.kafka, endpoints.mongo_url, prefix, credentials=endpoints.kafka_login()
        )

    statuses = Counter(observed.status.get(order_id, "never seen") for order_id in expected)
    unfinished = Counter(
        observed.status.get(o, "never seen") for o in expected if not observed.ended(o)
    )
    summary = {
        "orders": len(expected),
        "instances_per_service": args.instances,
        "seconds": round(elapsed, 1),
        "orders_by_final_state": dict(statuses.most_common()),
        "cases_by_reason": dict(observed.cases.most_common()),
        "orders_told_delayed": dict(sorted(observed.delayed.items())),
        "refunds_requested": observed.refunds,
        "returns_authorised": observed.returns,
        "lost_parcels_settled": len(desk.settled),
        "shipment_events": dict(observed.shipment_events.most_common()),
        "dead_lettered": dict(observed.dead_letters),
        "order_to_delivery_seconds": percentiles(list(observed.delivered_after.values())),
        # From the end of the last fault to every order at its end (the poll is every 2 s).
        "recovery_seconds": round(ended - faults_over[0], 1) if faults_over else None,
        "carrier_speed": f"{args.speed:g} simulated seconds per second",
        "sample_trace": sample,
        "scorecards": scorecards,
        "inbound": inbound,
        "inbound_events": dict(observed.inbound_events.most_common()),
        "audit": audited.to_json(),
        "problems": [
            *(f"{n} orders still {s}" for s, n in unfinished.items()),
            *(f"{n} dead-lettered on {t}" for t, n in observed.dead_letters.items()),
            *(f"{name} crashed; see its log" for name in crashed),
            *failed_faults,
            *refused,
            *audited.problems(),
        ],
    }
    return summary
