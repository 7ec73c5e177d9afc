"""`make bench` in its short mode proves the benchmark works, not that the mesh is fast: the
report has every section, its counts add up, nothing was oversold, every ratio is the quotient
of two measured figures, and the cost model's sums are the sums of its parts. No threshold on
any figure: a shared machine's numbers drift."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from conveyor_testkit import Servers, repository_root

SERVICES = ("orders", "inventory", "shipping", "support")
HOPS = (
    "placed->accepted", "accepted->reserved", "reserved->booking_sent",
    "booking_sent->carrier_accepted", "carrier_accepted->booked", "booked->carrier_delivered",
    "carrier_delivered->shipment_delivered", "shipment_delivered->delivered",
)  # fmt: skip


# Phases of at most 20, 20 and 30 s, start-up, baselines and the SASL twin: 86 s on a quiet
# machine, 145 s seen on a busy one.
@pytest.mark.timeout(240)
async def test_the_short_bench_reports_mesh_baselines_ratios_and_a_flash_sale_without_oversell(
    servers: Servers, tmp_path: Path
) -> None:
    report_path = tmp_path / "bench.json"
    root = repository_root()
    bench = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "conveyor_local.bench", "--short",
        "--report", str(report_path), "--kafka", servers.kafka,
        "--kafka-credentials", str(servers.kafka_credentials or ""),
        "--mongo-url", servers.mongo_url, "--otlp", servers.otlp,
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(bench.communicate(), timeout=230)
    text = output.decode(errors="replace")
    assert bench.returncode == 0, text[-4000:]
    report = json.loads(report_path.read_text())

    assert report["problems"] == []
    # The auditor on the run's namespace: what it checked held (what needs the mesh at rest is
    # skipped only if the services were still busy 30 s after the last phase).
    audit = report["audit"]
    assert audit["held"], audit
    invariants = {invariant["name"]: invariant for invariant in audit["invariants"]}
    assert all(i["held"] or i["skipped"] for i in invariants.values())
    assert invariants["status_monotonic"]["checked"] == 10 + 20 + 100
    assert set(report["mesh"]) == {"fixed_load", "saturation", "flash_sale"}
    for phase, figures in report["mesh"].items():
        # Each phase has a time budget: the flash sale's tail may still be in flight at its end.
        assert sum(figures["statuses"].values()) == figures["orders"], phase
        assert figures["settled"] <= figures["orders"], phase
        assert set(figures["latency_ms"]["hops"]) == set(HOPS), phase
        booked = figures["throughput"]["booked"]
        delivered = figures["throughput"]["delivered"]
        assert delivered["orders"] <= booked["orders"] <= figures["orders"], phase
    for phase in ("fixed_load", "saturation"):  # the ratios' numerators
        assert report["mesh"][phase]["throughput"]["delivered"]["orders"] > 0, phase
    steady = report["mesh"]["fixed_load"]
    assert steady["orders"] == 10
    assert set(steady["latency_ms"]["placed->booked"]) == {"p50", "p95", "p99"}
    for hop in HOPS:  # every hop of a steady load has its percentiles, in order
        cuts = steady["latency_ms"]["hops"][hop]
        assert 0 <= cuts["p50"] <= cuts["p95"] <= cuts["p99"], hop

    null = report["baseline"]["null_mesh"]
    assert null["saturation"]["orders"] == report["mesh"]["saturation"]["orders"]
    assert report["baseline"]["database"]["updates_per_second"] > 0
    _assert_ratios_are_quotients(report["ratios"])

    flash = report["flash_sale"]
    assert flash["orders"] == report["mesh"]["flash_sale"]["orders"] == 100
    assert sum(flash["outcomes"].values()) == flash["orders"]
    assert flash["oversell"]["oversold_units"] == 0
    assert flash["oversell"]["units_held"] > 0
    assert flash["broken_stock_documents"] == 0

    assert set(report["processes"]) == {"orders", "inventory", "shipping", "support", "bench"}
    for name, usage in report["processes"].items():
        assert usage["cpu_seconds"] > 0, name
        assert usage["peak_rss_mib"] > 20, name
    assert _charts_in(report["chart"]) == 2
    assert "hop messages/s vs db updates/s" in text

    cost = report["cost_model"]
    servers_measured = servers.origin == "local stack"  # pids of this checkout's servers
    expected = {*SERVICES, *(("ferretdb", "kafka", "jaeger") if servers_measured else ())}
    assert expected <= set(cost["processes"])
    assert set(cost["phases"]) == set(report["mesh"])
    for phase, figures in cost["phases"].items():
        _assert_phase_costs(phase, figures, cost["processes"], report["mesh"][phase]["orders"])
    assert "CPU ms per order" in text
    assert "database commands per order" in text
    if servers_measured:
        _assert_kafka_ceiling(cost["kafka_ceiling"], cost["phases"]["saturation"])
        assert "Kafka ceiling (" in text
    assert _tables_in(report["chart"]) == 3  # the cost model's, on the HTML page
    if servers_measured:  # the local stack's Kafka, so its twins can start here
        _assert_sasl_cost(report["sasl_cost"])
        assert "SASL/SCRAM cost (" in text


def _assert_sasl_cost(sasl: dict[str, Any]) -> None:
    """Both sides measured with the same work, and each ratio their quotient."""
    assert sasl["orders"] == 20
    for side in ("authenticated", "open"):
        figures = sasl[side]
        assert figures["null_mesh_orders_per_second"] > 0, side
        assert figures["client_cpu_ms_per_order"] > 0, side
        assert figures["broker_cpu_ms_per_order"] > 0, side
        assert figures["ceiling_produced_per_second"] > 0, side
    for key, ratio in sasl["ratio_authenticated_over_open"].items():
        expected = sasl["authenticated"][key] / sasl["open"][key]
        assert abs(ratio - expected) <= 0.001 + 0.01 * expected, key


def _close(total: float, parts: list[float]) -> bool:
    """A total of figures rounded to 0.01 each: equal to their sum within that rounding."""
    return abs(total - sum(parts)) <= 0.01 * (len(parts) + 1)


def _assert_phase_costs(
    phase: str, figures: dict[str, Any], processes: list[str], orders: int
) -> None:
    assert figures["orders"] == orders, phase
    assert figures["not_measured"] == [], phase
    gross, net = figures["cpu_ms_per_order"], figures["net_cpu_ms_per_order"]
    assert set(gross) == set(net) == {*processes, "total"}, phase
    for name in processes:
        assert gross[name] > 0, (phase, name)  # every process did some work for the phase
        assert figures["idle_cpu_percent"][name] >= 0, (phase, name)
    assert _close(gross["total"], [gross[name] for name in processes]), phase
    assert _close(net["total"], [net[name] for name in processes]), phase
    assert figures["load_generator_cpu_ms_per_order"] > 0, phase

    db = figures["db_ops_per_order"]
    assert set(db) == {*SERVICES, "total"}, phase
    for name in SERVICES:
        assert db[name]["total"] > 0, (phase, name)  # every service reads or writes per order
        assert _close(db[name]["total"], list(db[name]["by_command"].values())), (phase, name)
    assert _close(db["total"]["total"], [db[name]["total"] for name in SERVICES]), phase
    assert _close(db["total"]["total"], list(db["total"]["by_command"].values())), phase
    assert not {"ping", "hello", "isMaster", "endSessions"} & set(db["total"]["by_command"])

    kafka = figures["kafka_per_order"]
    for kind in ("produced", "consumed", "commits"):
        per_service = kafka[kind]
        assert set(per_service) == {*SERVICES, "total"}, (phase, kind)
        assert all(per_service[name] >= 0 for name in SERVICES), (phase, kind)
        assert _close(per_service["total"], [per_service[name] for name in SERVICES]), phase
    assert kafka["produced"]["total"] > 0, phase
    assert kafka["consumed"]["total"] > 0, phase


def _assert_kafka_ceiling(ceiling: dict[str, Any], saturation: dict[str, Any]) -> None:
    assert "unavailable" not in ceiling, ceiling
    assert ceiling["producer"]["records"] == ceiling["records"]
    assert ceiling["consumer"]["records"] == ceiling["records"]
    assert ceiling["record_bytes"] > 0
    produced = ceiling["producer"]["records_per_second"]
    consumed = ceiling["consumer"]["fetch_records_per_second"]
    assert produced > 0
    assert consumed > 0
    implied = ceiling["implied_orders_per_second"]
    per_order = saturation["kafka_per_order"]
    assert implied["producer"] == pytest.approx(produced / per_order["produced"]["total"], abs=0.1)
    assert implied["consumer"] == pytest.approx(consumed / per_order["consumed"]["total"], abs=0.1)
    mesh = ceiling["mesh_saturation_to_delivered"]
    assert mesh["baseline"] == min(implied["producer"], implied["consumer"])
    assert mesh["ratio"] == pytest.approx(mesh["mesh"] / mesh["baseline"], rel=0.01, abs=0.001)


def _assert_ratios_are_quotients(ratios: dict[str, Any]) -> None:
    rows = [*ratios["throughput"].values(), *ratios["latency_p50"].values(), ratios["database"]]
    assert len(rows) == 4 + 2 + len(HOPS) + 1
    for row in rows:
        assert row["mesh"] > 0
        assert row["baseline"] > 0
        assert abs(row["ratio"] - row["mesh"] / row["baseline"]) < 0.001 * row["ratio"] + 0.001


def _charts_in(page: str) -> int:
    return Path(page).read_text().count("<svg")


def _tables_in(page: str) -> int:
    return Path(page).read_text().count("<table")
