"""The benchmark's outputs besides the JSON: a table for the terminal and a self-contained HTML
page with two SVG charts (latency over time, completions per second)."""

import html
from collections import Counter
from collections.abc import Callable
from typing import Any

PHASE_COLOURS = {"fixed_load": "#1f77b4", "saturation": "#d62728", "flash_sale": "#2ca02c"}
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
    return lines


def _fmt(*values: float | None) -> list[str]:
    return ["n/a" if value is None else f"{value:g}" for value in values]


def _percentiles(value: dict[str, float]) -> str:
    return " / ".join(f"{value[key]:g}" for key in ("p50", "p95", "p99")) if value else "n/a"


def plot(samples: list[tuple[str, float, float]], title: str) -> str:
    """HTML with latency (placed -> booked) against placement time, and booked orders per
    second; ``samples`` are (phase, placed at, booked at) in seconds from the run's start."""
    if not samples:
        return "<p>no order was booked</p>"
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
