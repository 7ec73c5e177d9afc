"""What the demo tells: its progress while it runs, a sample order's trace, the delivery
percentiles, and the summary at the end."""

import asyncio
import functools
import statistics
import time
from collections import Counter
from typing import Any

import httpx

from conveyor_local.demo.inbound import print_inbound
from conveyor_local.demo.observer import Observed
from conveyor_local.demo.scorecards import print_scorecards

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


def progress(observed: Observed, expected: list[str], started: float) -> str:
    statuses = Counter(observed.status.get(order_id, "not yet seen") for order_id in expected)
    final = sum(1 for order_id in expected if observed.ended(order_id))
    parts = ", ".join(f"{status} {count}" for status, count in statuses.most_common())
    return f"[{time.monotonic() - started:5.0f}s] {final}/{len(expected)} at an end · {parts}"


async def sample_trace(jaeger: str, observed: Observed) -> dict[str, Any] | None:
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
            try:
                response = await http.get(f"{jaeger}/api/traces/{trace_id}")
            except httpx.TransportError:  # Jaeger is not up (still building)
                break
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


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


def print_summary(summary: dict[str, Any]) -> None:
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
    delayed = summary["orders_told_delayed"]
    say(f"orders told delayed (forecast past the promise): {len(delayed)}")
    for order_id, told in list(delayed.items())[:5]:
        say(f"  {order_id}  {told}")
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
        else:
            say("  not in Jaeger (yet): traces will appear once it is up (make status tells)")
    print_scorecards(summary["scorecards"])
    print_inbound(summary["inbound"], summary["inbound_events"])
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
