"""`make demo` in its short mode: the services as processes, two of each in one consumer group
(so partitions are shared and rebalanced as the instances join), the simulators, and a summary
that says every order reached an end with nothing dead-lettered and one order traced in Jaeger,
and the invariant auditor's verdict on the run's topics and databases: every invariant held."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

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
    _assert_inbound(summary)
    assert "sellers' inbound shipments" in text
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


def _assert_inbound(summary: dict[str, Any]) -> None:
    """Every seller announced ASNs; what arrives as receipts is told (over, unexpected, late),
    and each ASN planned short is told short at the warehouse's receiving done, ending it."""
    inbound = summary["inbound"]
    sellers = inbound["sellers"]
    assert len(sellers) == 3
    assert all(view["asns"] >= 1 for view in sellers.values()), sellers
    planned = inbound["planned_discrepancies"]
    assert {p["kind"] for p in planned} == {"short", "over", "unexpected_sku", "late"}
    for p in planned:
        (shipment,) = [
            s
            for s in sellers[p["seller_id"]]["shipments"]
            if s["warehouse_id"] == p["warehouse_id"]
        ]
        assert [p["kind"], p["sku"]] in shipment["discrepancies"], (p, shipment)
        if p["kind"] == "short":
            assert (shipment["status"], shipment["outcome"]) == ("reconciled", "short"), shipment
            assert shipment["short_lines"] == [p["sku"]], shipment
    told = {kind for view in sellers.values() for kind in view["discrepancies"]}
    assert told == {"short", "over", "unexpected_sku", "late"}
    # The rest (the late one too) received all they announced and nothing more: complete.
    asns = sum(view["asns"] for view in sellers.values())
    complete = sum(view["by_status"].get("complete", 0) for view in sellers.values())
    assert complete == asns - sum(1 for p in planned if p["kind"] != "late")
    shorts = sum(1 for p in planned if p["kind"] == "short")
    assert sum(view["by_status"].get("short", 0) for view in sellers.values()) == shorts
    # Counted off the topic: a relay may publish an event twice, never none.
    events = summary["inbound_events"]
    assert events["InboundShipmentAnnounced"] >= asns
    assert events["InboundDiscrepancyFound"] >= len(planned)
    assert events["InboundShipmentReconciled"] >= complete + shorts
