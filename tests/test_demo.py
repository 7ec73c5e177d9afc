"""`make demo` in its short mode: the services as processes, two of each in one consumer group
(so partitions are shared and rebalanced as the instances join), the simulators, and a summary
that says every order reached an end with nothing dead-lettered and one order traced in Jaeger,
and the invariant auditor's verdict on the run's topics and databases: every invariant held."""

import asyncio
import json
import sys
from pathlib import Path

from conveyor_testkit import Servers, repository_root

FINAL = {"delivered", "rejected", "cancelled", "lost", "returned", "refund_requested"}
INVARIANTS = (
    "orders_ended", "status_monotonic", "one_confirmed_booking", "one_restock_and_refund",
    "stock_conserved", "outboxes_drained", "dead_letters_expected", "consumer_lag_zero",
)  # fmt: skip


async def test_the_short_demo_takes_every_order_to_an_end_and_summarises_it(
    servers: Servers, tmp_path: Path
) -> None:
    report = tmp_path / "summary.json"
    root = repository_root()
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "conveyor_local.demo",
        "--short",
        "--instances",
        "2",
        "--report",
        str(report),
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(demo.communicate(), timeout=420)
    text = output.decode(errors="replace")
    assert demo.returncode == 0, text[-4000:]

    summary = json.loads(report.read_text())
    assert summary["problems"] == []
    assert summary["instances_per_service"] == 2
    states = summary["orders_by_final_state"]
    assert sum(states.values()) == summary["orders"] == 40
    # A return no carrier would collect stays in progress, waiting for an agent.
    assert set(states) <= FINAL | {"return_in_progress"}
    assert states["delivered"] + states.get("refund_requested", 0) > 20
    assert summary["returns_authorised"] > 0
    # Each authorised return is refunded, or waits for an agent when no carrier would collect it;
    # the other refunds settle lost parcels (every other one the desk settles).
    returns_refunded = summary["returns_authorised"] - states.get("return_in_progress", 0)
    lost_refunded = summary["refunds_requested"] - returns_refunded
    assert 0 <= lost_refunded <= summary["lost_parcels_settled"]
    assert summary["dead_lettered"] == {}
    assert summary["shipment_events"]["ShipmentDelivered"] >= states["delivered"]
    assert set(summary["order_to_delivery_seconds"]) == {"p50", "p95", "p99"}
    # Parcels the late carriers held are told delayed, each with one case for its lateness
    # (a later breach of the same promise opens none of its own).
    delayed = summary["orders_told_delayed"]
    assert all("after the promised" in told for told in delayed.values())
    assert summary["cases_by_reason"].get("sla_breach", 0) <= len(delayed) + summary[
        "shipment_events"
    ].get("DeliverySlaBreached", 0)
    sample = summary["sample_trace"]
    assert sample["spans"] > 10
    assert {"checkout-simulator", "orders", "inventory", "shipping"} <= set(sample["services"])
    assert "every order reached an end" in text
    audit = summary["audit"]
    assert audit["held"], audit
    assert [(i["name"], i["held"]) for i in audit["invariants"]] == [
        (name, True) for name in INVARIANTS
    ]
    checked = {i["name"]: i["checked"] for i in audit["invariants"]}
    assert checked["orders_ended"] == checked["status_monotonic"] == 40
    assert checked["one_confirmed_booking"] >= states["delivered"]
    assert checked["stock_conserved"] > 0
    assert checked["consumer_lag_zero"] > 0
