"""`make demo`: the whole mesh at work, from a blank run to a readable summary.

Starts the local stack, then the four services as separate processes, seeds the warehouses,
runs the six simulated carriers and the shop checkout for a few hundred orders with a realistic
mix of failures, shows progress, and ends with what happened. Each run uses its own topic prefix
and databases, so runs never see each other's messages. Exits non-zero when something went wrong
(an order that never reached an end, a dead-lettered message, a service that crashed), saying what.
"""

import argparse
import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import audit
import httpx
import stack
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from mesh import Mesh, running_mesh

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import (
    CARRIER_CODES,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
    TOPICS,
)
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.kafka_acl import registry_acls
from conveyor_runtime.kafka_admin import (
    delete_acls,
    delete_topics_with_prefix,
    ensure_acls,
    ensure_topics,
    registry_topics,
)
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.checkout import CheckoutSettings, plan_checkout
from conveyor_simulators.kafka import broker, tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_simulators.run_checkout import publish_checkout, publish_receipts
from conveyor_simulators.run_warehouse import build_returns_dock

FINAL = {"delivered", "rejected", "cancelled", "lost", "returned", "refund_requested"}
RETURN_SHARE = 10  # one delivered order in ten comes back
WAREHOUSES = ("WH-US-NJ1", "WH-CA-ON1", "WH-GB-MAN1")
REPORT = stack.CACHE / "reports" / "demo-summary.json"
say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


@dataclass
class Observed:
    """What the demo reads off the mesh's topics while it runs."""

    status: dict[str, str] = field(default_factory=dict)  # order id -> latest public status
    first_seen: dict[str, float] = field(default_factory=dict)  # order id -> wall time
    delivered_after: dict[str, float] = field(default_factory=dict)  # order id -> seconds
    trace_of: dict[str, str] = field(default_factory=dict)  # order id -> trace id
    shipment_events: Counter[str] = field(default_factory=Counter)
    cases: Counter[str] = field(default_factory=Counter)
    lost_cases: dict[str, str] = field(default_factory=dict)  # order id -> lost-parcel case id
    booking_failed: set[str] = field(default_factory=set)  # orders with a shipment nobody took

    def ended(self, order_id: str) -> bool:
        """At an end, or a return no carrier would collect: that waits for an agent's case."""
        status = self.status.get(order_id)
        return status in FINAL or (
            status == "return_in_progress" and order_id in self.booking_failed
        )

    returns: int = 0
    refunds: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)


def _observer(endpoints: stack.Endpoints, prefix: str, observed: Observed) -> KafkaBroker:
    admin = endpoints.kafka_login()  # it reads every topic of the run, dead letters included
    client = broker(
        endpoints.kafka,
        "demo-observer",
        tracer_provider("demo-observer", None),
        security=admin.security() if admin else None,
    )
    group = f"{prefix}demo-observer"

    def subscribe(topic: str, handle: Any) -> None:
        client.subscriber(
            prefix + topic,
            group_id=f"{group}-{topic}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.ACK,
            decoder=raw_body,
        )(handle)

    async def on_status(raw: bytes, message: KafkaMessage) -> None:
        body = json.loads(raw)
        order_id = body["order_id"]
        observed.first_seen.setdefault(order_id, time.monotonic())
        observed.status[order_id] = body["status"]
        if body["status"] == "delivered":
            observed.delivered_after[order_id] = time.monotonic() - observed.first_seen[order_id]
        traceparent = message.headers.get("traceparent")
        if isinstance(traceparent, str) and order_id not in observed.trace_of:
            observed.trace_of[order_id] = traceparent.split("-")[1]

    async def on_shipment(raw: bytes) -> None:
        body = json.loads(raw)
        observed.shipment_events[body["event_type"]] += 1
        if body["event_type"] == "ShipmentBookingFailed":
            observed.booking_failed.add(body["order_id"])

    async def on_case(raw: bytes) -> None:
        body = json.loads(raw)
        if body["event_type"] == "CaseOpened":
            observed.cases[body["kind"]] += 1
            if body["kind"] == "lost_parcel":
                observed.lost_cases[body["order_id"]] = body["case_id"]
        elif body["event_type"] == "ReturnAuthorised":
            observed.returns += 1

    async def on_refund(raw: bytes) -> None:
        observed.refunds += 1

    def on_dead_letter(topic: str) -> Any:
        async def count(raw: bytes) -> None:
            observed.dead_letters[topic] += 1

        return count

    subscribe(ORDER_STATUS.name, on_status)
    subscribe(SHIPPING_SHIPMENTS.name, on_shipment)
    subscribe(SUPPORT_CASES.name, on_case)
    subscribe(SUPPORT_REFUNDS.name, on_refund)
    for spec in TOPICS:
        subscribe(spec.dead_letter, on_dead_letter(spec.name))
    return client


@dataclass
class AfterSalesDesk:
    """The buyers and agents of the demo: some delivered orders are returned, and every lost
    parcel is settled, by reshipping one and refunding the next; a return the carrier lost on
    its way back is refunded."""

    support: Callable[[], str]  # the base URL of a support instance that is up
    bearer: Callable[[], str]  # a fresh agent token of the development issuer
    lines: dict[str, list[tuple[str, int]]]  # order id -> its (sku, quantity) lines
    handled: set[str] = field(default_factory=set)
    cases: dict[str, str] = field(default_factory=dict)  # order id -> its return case
    settled: set[str] = field(default_factory=set)  # lost parcels reshipped or refunded
    reship_next: bool = True

    async def act(self, observed: Observed) -> None:
        async with httpx.AsyncClient(
            base_url=self.support(),
            timeout=15.0,
            headers={"Authorization": f"Bearer {self.bearer()}"},
        ) as http:
            for order_id, status in list(observed.status.items()):
                if order_id in self.settled or order_id not in self.lines:
                    continue
                lost_case = observed.lost_cases.get(order_id)
                try:
                    if lost_case and status == "lost":
                        if await self._settle(http, order_id, lost_case, reship=self.reship_next):
                            self.reship_next = not self.reship_next
                    elif lost_case and status == "return_in_progress":
                        # The carrier lost the parcel the buyer sent back: refund the buyer.
                        await self._settle(http, order_id, lost_case, reship=False)
                    elif order_id in self.handled:
                        continue
                    elif status == "delivered" and _share(order_id) < RETURN_SHARE:
                        await self._return(http, order_id)
                except httpx.TransportError as error:
                    # A busy support service is a slow answer, not a failed demo: next round.
                    say(f"support did not answer for {order_id} ({type(error).__name__}); retrying")

    def returning(self) -> list[str]:
        """Returns the desk started: done once refunded."""
        return [o for o in self.handled if _share(o) < RETURN_SHARE and o not in self.settled]

    async def _return(self, http: httpx.AsyncClient, order_id: str) -> None:
        if order_id not in self.cases:
            body = {"order_id": order_id, "kind": "return_request"}
            opened = await http.post("/cases", json=body)
            if opened.status_code != 201:
                return  # support has not heard of the order yet: next round
            self.cases[order_id] = opened.json()["case_id"]
        sku, _ = self.lines[order_id][0]
        lines = [{"sku": sku, "quantity": 1, "reason": "changed_mind"}]
        # 409 until support has seen the delivery: the same case is tried again next round.
        answer = await http.post(f"/cases/{self.cases[order_id]}/return", json={"lines": lines})
        if answer.status_code == 200:
            self.handled.add(order_id)

    async def _settle(
        self, http: httpx.AsyncClient, order_id: str, case_id: str, *, reship: bool
    ) -> bool:
        sku, quantity = self.lines[order_id][0]
        body: dict[str, Any] = (
            {"action": "reship", "lines": [{"sku": sku, "quantity": quantity}]}
            if reship
            else {"action": "refund"}
        )
        if (await http.post(f"/cases/{case_id}/resolution", json=body)).status_code != 200:
            return False
        self.handled.add(order_id)
        self.settled.add(order_id)
        return True


def _share(order_id: str) -> int:
    """A stable 0-99 draw per order, so the same seed returns the same orders."""
    return int(hashlib.sha256(order_id.encode()).hexdigest(), 16) % 100


def _progress(observed: Observed, expected: list[str], started: float) -> str:
    statuses = Counter(observed.status.get(order_id, "not yet seen") for order_id in expected)
    final = sum(1 for order_id in expected if observed.ended(order_id))
    parts = ", ".join(f"{status} {count}" for status, count in statuses.most_common())
    return f"[{time.monotonic() - started:5.0f}s] {final}/{len(expected)} at an end · {parts}"


async def _sample_trace(jaeger: str, observed: Observed) -> dict[str, Any] | None:
    """One delivered order's trace, as Jaeger has stored it."""
    delivered = [
        o for o, s in observed.status.items() if s == "delivered" and o in observed.trace_of
    ]
    if not delivered:
        return None
    order_id = sorted(delivered)[0]
    trace_id = observed.trace_of[order_id]
    async with httpx.AsyncClient(timeout=5.0) as http:
        for _ in range(20):  # spans arrive in batches: give the exporters a moment
            response = await http.get(f"{jaeger}/api/traces/{trace_id}")
            if response.status_code == 200 and response.json().get("data"):
                trace = response.json()["data"][0]
                services = sorted({p["serviceName"] for p in trace["processes"].values()})
                return {
                    "order_id": order_id,
                    "trace_id": trace_id,
                    "url": f"{jaeger}/api/traces/{trace_id}",
                    "spans": len(trace["spans"]),
                    "services": services,
                }
            await asyncio.sleep(1.0)
    return {"order_id": order_id, "trace_id": trace_id, "url": None, "spans": 0, "services": []}


def _percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


@contextlib.asynccontextmanager
async def run_namespace(kind: str, endpoints: stack.Endpoints) -> AsyncIterator[tuple[str, Path]]:
    """A run's own topic prefix and log folder: its topics are created for it and deleted when
    it ends (its databases stay, to look at afterwards)."""
    prefix = f"{kind}{int(time.time())}-"
    log_dir = stack.LOG_DIR / prefix.rstrip("-")
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
    endpoints: stack.Endpoints,
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
                },
            )
        )
        say("services ready: " + ", ".join(f"{i.name} :{i.port}" for i in mesh.instances))
        observer = _observer(endpoints, prefix, observed)
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
            say(_progress(observed, expected, started))
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
        sample = await _sample_trace(endpoints.jaeger, observed)
        elapsed = time.monotonic() - started
        # While the services still run (the last messages settle) and before the run's topics
        # are deleted. The checkout's invalid orders are valid messages, rejected by orders:
        # no dead letter is expected.
        audited = await audit.audit(
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
        "refunds_requested": observed.refunds,
        "returns_authorised": observed.returns,
        "lost_parcels_settled": len(desk.settled),
        "shipment_events": dict(observed.shipment_events.most_common()),
        "dead_lettered": dict(observed.dead_letters),
        "order_to_delivery_seconds": _percentiles(list(observed.delivered_after.values())),
        # From the end of the last fault to every order at its end (the poll is every 2 s).
        "recovery_seconds": round(ended - faults_over[0], 1) if faults_over else None,
        "carrier_speed": f"{args.speed:g} simulated seconds per second",
        "sample_trace": sample,
        "audit": audited.to_json(),
        "problems": [
            *(f"{n} orders still {s}" for s, n in unfinished.items()),
            *(f"{n} dead-lettered on {t}" for t, n in observed.dead_letters.items()),
            *(f"{name} crashed; see its log" for name in crashed),
            *failed_faults,
            *audited.problems(),
        ],
    }
    return summary


def _print_summary(summary: dict[str, Any]) -> None:
    say("")
    say(f"== {summary['orders']} orders in {summary['seconds']} s ==")
    for title, key in (
        ("orders by final state", "orders_by_final_state"),
        ("support cases by reason", "cases_by_reason"),
        ("shipment events", "shipment_events"),
        ("dead-lettered messages", "dead_lettered"),
    ):
        rows = summary[key]
        say(f"{title}:" + ("" if rows else " none"))
        for name, count in rows.items():
            say(f"  {name:<28} {count:>5}")
    say(f"returns authorised: {summary['returns_authorised']}")
    say(f"refunds requested: {summary['refunds_requested']}")
    say(f"lost parcels settled (reshipped or refunded): {summary['lost_parcels_settled']}")
    say(f"order to delivery (wall seconds): {summary['order_to_delivery_seconds'] or 'n/a'}")
    sample = summary["sample_trace"]
    if sample:
        say(
            f"sample order {sample['order_id']}: trace {sample['trace_id']} "
            f"({sample['spans']} spans from {', '.join(sample['services']) or 'no service yet'})"
        )
        if sample["url"]:
            say(f"  {sample['url']}")
    audited = summary["audit"]
    held = sum(1 for invariant in audited["invariants"] if invariant["held"])
    say(
        f"audit: {held}/{len(audited['invariants'])} invariants held "
        f"({audited['messages']} messages read, {audited['seconds']} s with "
        f"{audited['waited_for_quiet_seconds']} s waiting for the mesh to go quiet)"
    )
    say("")
    if summary["problems"]:
        say("SOMETHING WENT WRONG:")
        for problem in summary["problems"]:
            say(f"  - {problem}")
    else:
        say("every order reached an end; nothing was dead-lettered")


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
    endpoints = stack.up()  # idempotent: a running stack costs one check
    summary = asyncio.run(run(args, endpoints))
    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=2))
    _print_summary(summary)
    say(f"summary written to {report}")
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
