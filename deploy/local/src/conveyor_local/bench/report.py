"""The benchmark's outputs besides the JSON: a table for the terminal and a self-contained HTML
page with two SVG charts (latency over time, completions per second) and the cost model's
tables."""

import html
from collections import Counter
from collections.abc import Callable
from typing import Any

PHASE_COLOURS = {"fixed_load": "#1f77b4", "saturation": "#d62728", "flash_sale": "#2ca02c"}
PHASES = tuple(PHASE_COLOURS)
# A table: its title, its header row and its rows, for the terminal and the page alike.
Table = tuple[str, list[str], list[list[str]]]
WIDTH, HEIGHT, MARGIN = 900, 320, 50


def table(report: dict[str, Any]) -> list[str]:
    """The report's figures as aligned text lines."""
    lines = [f"== bench {report['run']} ({report['mode']} mode) =="]
    row = "{:<34} {:>12} {:>12} {:>10}"
    lines.append(row.format("throughput (orders/s)", "mesh", "baseline", "ratio"))
    for key, ratio in report["ratios"]["throughput"].items():
        lines.append(row.format(key, *_fmt(ratio["mesh"], ratio["baseline"], ratio["ratio"])))
    lines.append(row.format("latency p50/p95/p99 (ms)", "mesh p50", "null p50", "ratio"))
    for key, ratio in report["ratios"]["latency_p50"].items():
        lines.append(row.format(key, *_fmt(ratio["mesh"], ratio["baseline"], ratio["ratio"])))
    database = report["ratios"]["database"]
    lines.append(
        row.format("hop messages/s vs db updates/s", *_fmt(*database.values()))  # 3 values
    )
    for phase in ("fixed_load", "saturation", "flash_sale"):
        figures = report["mesh"][phase]
        lines.append(
            f"-- {phase}: {figures['settled']} of {figures['orders']} orders settled in budget "
            "(ended, or backordered) --"
        )
        for key, value in figures["latency_ms"].items():
            if key != "hops":
                lines.append(f"   {key:<40} {_percentiles(value)}")
        for hop, value in figures["latency_ms"]["hops"].items():
            lines.append(f"   {hop:<40} {_percentiles(value)}")
    flash = report["flash_sale"]
    lines.append(
        f"flash sale: {flash['orders']} orders on {len(flash['hot_skus'])} hot SKUs, "
        f"{flash['outcomes']}, oversold units {flash['oversell']['oversold_units']}, "
        f"stock documents breaking on_hand >= reserved >= 0: {flash['broken_stock_documents']}"
    )
    lines.append(f"{'process':<12} {'cpu s':>8} {'cpu %':>7} {'peak MiB':>9}")
    for name, usage in report["processes"].items():
        lines.append(
            f"{name:<12} {usage['cpu_seconds']:>8} {usage['cpu_percent']:>7} "
            f"{usage['peak_rss_mib']:>9}"
        )
    for title, header, rows in cost_tables(report["cost_model"]):
        lines.append(f"-- {title} --")
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for cells in (header, *rows):
            aligned = [cells[0].ljust(widths[0])]
            aligned += [c.rjust(width) for c, width in zip(cells[1:], widths[1:], strict=True)]
            lines.append("   " + "  ".join(aligned))
    lines.extend(ceiling_lines(report["cost_model"]["kafka_ceiling"]))
    lines.extend(sasl_lines(report["sasl_cost"]))
    return lines


def sasl_lines(sasl: dict[str, Any]) -> list[str]:
    """Authenticated beside open, the same baselines in the same run."""
    if "unavailable" in sasl:
        return [f"-- SASL/SCRAM cost: not measured ({sasl['unavailable']}) --"]
    row = "   {:<34} {:>14} {:>10} {:>8}"
    lines = [
        f"-- SASL/SCRAM cost ({sasl['rounds']} alternating rounds, {sasl['orders']} null-mesh "
        f"orders, {sasl['ceiling_records']} tool records) --",
        row.format("", "authenticated", "open", "ratio"),
    ]
    for key, ratio in sasl["ratio_authenticated_over_open"].items():
        cells = (sasl["authenticated"][key], sasl["open"][key], ratio)
        lines.append(row.format(key, *("-" if c is None else str(c) for c in cells)))
    return lines


def cost_tables(cost: dict[str, Any]) -> list[Table]:
    """Per order and per phase: CPU ms by process (gross / net of the idle rate, and the idle
    rate), database commands by service and by command, Kafka messages and commits."""
    phases = [phase for phase in PHASES if phase in cost["phases"]]
    figures = [cost["phases"][phase] for phase in phases]
    header = ["", *(f"{p} ({f['orders']})" for p, f in zip(phases, figures, strict=True))]
    cpu = [[name, *(_cpu_cell(f, name) for f in figures)] for name in (*cost["processes"], "total")]
    cpu.append(["load generator", *(_one(f["load_generator_cpu_ms_per_order"]) for f in figures)])
    services = [name for name in figures[0]["db_ops_per_order"] if name != "total"]
    db = [
        [name, *(_one(f["db_ops_per_order"][name]["total"]) for f in figures)]
        for name in (*services, "total")
    ]
    commands = sorted({c for f in figures for c in f["db_ops_per_order"]["total"]["by_command"]})
    db += [
        [f"  {command}", *(_one(f["db_ops_per_order"]["total"]["by_command"].get(command))
                           for f in figures)]
        for command in commands
    ]  # fmt: skip
    kafka = [
        [f"{kind} ({name})", *(_one(f["kafka_per_order"][kind][name]) for f in figures)]
        for kind in ("produced", "consumed", "commits")
        for name in (*services, "total")
    ]
    return [
        ("CPU ms per order: gross / net of idle (idle % of a core)", ["process", *header[1:]], cpu),
        ("database commands per order (all services: by command)", ["service", *header[1:]], db),
        ("Kafka messages and offset commits per order", ["", *header[1:]], kafka),
    ]


def _cpu_cell(figures: dict[str, Any], name: str) -> str:
    cell = (
        f"{_one(figures['cpu_ms_per_order'][name])} / {_one(figures['net_cpu_ms_per_order'][name])}"
    )
    idle = figures["idle_cpu_percent"].get(name)
    return cell if name == "total" else f"{cell} ({_one(idle)} %)"


def ceiling_lines(ceiling: dict[str, Any]) -> list[str]:
    if "unavailable" in ceiling:
        return [f"Kafka ceiling: not measured ({ceiling['unavailable']})"]
    producer, consumer = ceiling["producer"], ceiling["consumer"]
    implied = ceiling["implied_orders_per_second"]
    mesh = ceiling["mesh_saturation_to_delivered"]
    return [
        f"Kafka ceiling ({ceiling['records']} records of {ceiling['record_bytes']} B, "
        f"{ceiling['partitions']} partitions): producer {producer['records_per_second']:g} "
        f"records/s, consumer {consumer['fetch_records_per_second']:g} records/s "
        f"({consumer['records_per_second']:g} with the group join)",
        f"   implied orders/s at saturation's messages per order: producer "
        f"{_one(implied['producer'])}, consumer {_one(implied['consumer'])}; mesh saturation to "
        f"delivered {_one(mesh['mesh'])} orders/s, ratio {_one(mesh['ratio'])}",
    ]


def _one(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def page(report: dict[str, Any]) -> str:
    """The HTML page: the charts, then the cost model's tables."""
    body = plot(report["samples"], f"bench {report['run']}")
    tables = "".join(_html_table(*table) for table in cost_tables(report["cost_model"]))
    ceiling = "".join(
        f"<p>{html.escape(line.strip())}</p>"
        for line in ceiling_lines(report["cost_model"]["kafka_ceiling"])
    )
    return body.replace("</body>", f"<h2>Cost per order</h2>{tables}{ceiling}</body>")


def _html_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<h3>{html.escape(title)}</h3><table cellpadding='4' style='border-collapse:collapse'>"
        f"<tr>{head}</tr>{body}</table>"
    )


def _fmt(*values: float | None) -> list[str]:
    return ["n/a" if value is None else f"{value:g}" for value in values]


def _percentiles(value: dict[str, float]) -> str:
    return " / ".join(f"{value[key]:g}" for key in ("p50", "p95", "p99")) if value else "n/a"


def plot(samples: list[tuple[str, float, float]], title: str) -> str:
    """HTML with latency (placed -> booked) against placement time, and booked orders per
    second; ``samples`` are (phase, placed at, booked at) in seconds from the run's start."""
    if not samples:
        return "<!doctype html><body><p>no order was booked</p></body>"
    latency = [(placed, booked - placed, phase) for phase, placed, booked in samples]
    per_second = Counter(int(booked) for _, _, booked in samples)
    span = max(per_second) + 1
    rate = [(float(second), float(per_second.get(second, 0)), "") for second in range(span)]
    return (
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<body style='font-family:sans-serif'>"
        f"<h2>{html.escape(title)}</h2>"
        + _legend()
        + _chart("latency placed → booked (s) by placement time (s)", latency, dots=True)
        + _chart("orders booked per second, by time (s)", rate, dots=False)
        + "</body>"
    )


def _legend() -> str:
    items = "".join(
        f"<span style='color:{colour}'>● {phase}</span> " for phase, colour in PHASE_COLOURS.items()
    )
    return f"<p>{items}</p>"


def _chart(caption: str, points: list[tuple[float, float, str]], *, dots: bool) -> str:
    top_x = max(x for x, _, _ in points) or 1.0
    top_y = max(y for _, y, _ in points) or 1.0
    sx: Callable[[float], float] = lambda x: MARGIN + x / top_x * (WIDTH - 2 * MARGIN)  # noqa: E731
    sy: Callable[[float], float] = lambda y: HEIGHT - MARGIN - y / top_y * (HEIGHT - 2 * MARGIN)  # noqa: E731
    if dots:
        marks = "".join(
            f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='2' "
            f"fill='{PHASE_COLOURS.get(phase, '#555')}'/>"
            for x, y, phase in points
        )
    else:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y, _ in points)
        marks = f"<polyline points='{path}' fill='none' stroke='#333'/>"
    axes = (
        f"<line x1='{MARGIN}' y1='{HEIGHT - MARGIN}' x2='{WIDTH - MARGIN}' "
        f"y2='{HEIGHT - MARGIN}' stroke='black'/>"
        f"<line x1='{MARGIN}' y1='{MARGIN}' x2='{MARGIN}' y2='{HEIGHT - MARGIN}' stroke='black'/>"
        f"<text x='{MARGIN}' y='{MARGIN - 8}' font-size='12'>{top_y:.2f}</text>"
        f"<text x='{WIDTH - MARGIN}' y='{HEIGHT - MARGIN + 16}' font-size='12' "
        f"text-anchor='end'>{top_x:.0f}</text>"
        f"<text x='{MARGIN}' y='{HEIGHT - MARGIN + 16}' font-size='12'>0</text>"
    )
    return (
        f"<h3>{html.escape(caption)}</h3>"
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}'>"
        f"{axes}{marks}</svg>"
    )
