"""`make bench` in its short mode proves the benchmark works, not that the mesh is fast: the
report has every section, its counts add up, nothing was oversold, and every ratio is the quotient
of two measured figures. No threshold on any figure: a shared machine's numbers drift."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from conveyor_runtime.testing import Servers, repository_root

HOPS = (
    "placed->accepted", "accepted->reserved", "reserved->booking_sent",
    "booking_sent->carrier_accepted", "carrier_accepted->booked", "booked->carrier_delivered",
    "carrier_delivered->shipment_delivered", "shipment_delivered->delivered",
)  # fmt: skip


@pytest.mark.timeout(480)  # three phases of at most 40, 40 and 60 s, start-up and baselines
async def test_the_short_bench_reports_mesh_baselines_ratios_and_a_flash_sale_without_oversell(
    servers: Servers, tmp_path: Path
) -> None:
    report_path = tmp_path / "bench.json"
    root = repository_root()
    bench = await asyncio.create_subprocess_exec(
        sys.executable, str(root / "deploy" / "local" / "bench.py"), "--short",
        "--report", str(report_path), "--kafka", servers.kafka,
        "--mongo-url", servers.mongo_url, "--otlp", servers.otlp,
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(bench.communicate(), timeout=450)
    text = output.decode(errors="replace")
    assert bench.returncode == 0, text[-4000:]
    report = json.loads(report_path.read_text())

    assert report["problems"] == []
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


def _assert_ratios_are_quotients(ratios: dict[str, Any]) -> None:
    rows = [*ratios["throughput"].values(), *ratios["latency_p50"].values(), ratios["database"]]
    assert len(rows) == 4 + 2 + len(HOPS) + 1
    for row in rows:
        assert row["mesh"] > 0
        assert row["baseline"] > 0
        assert abs(row["ratio"] - row["mesh"] / row["baseline"]) < 0.001 * row["ratio"] + 0.001


def _charts_in(page: str) -> int:
    return Path(page).read_text().count("<svg")
