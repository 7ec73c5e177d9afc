"""The mesh's figures over its baselines (the ratios to compare between runs), and the orders
per second the broker's own ceiling would allow."""

from typing import Any


def implied_by_ceiling(
    ceiling: dict[str, Any], saturation: dict[str, Any], mesh: dict[str, Any]
) -> dict[str, Any]:
    """The orders per second the broker's ceiling would allow at the saturation phase's
    messages per order: produced records/s ÷ messages the services produced per order, and
    consumed records/s (fetching, the group join left out) ÷ messages they consumed per order."""
    if "unavailable" in ceiling:
        return ceiling
    kafka = saturation["kafka_per_order"]
    produced, consumed = kafka["produced"]["total"], kafka["consumed"]["total"]
    by_producer = (
        round(ceiling["producer"]["records_per_second"] / produced, 1) if produced else None
    )
    by_consumer = (
        round(ceiling["consumer"]["fetch_records_per_second"] / consumed, 1) if consumed else None
    )
    delivered = mesh["throughput"]["delivered"]["orders_per_second"]
    limit = min((x for x in (by_producer, by_consumer) if x), default=None)
    return ceiling | {
        "messages_per_order_from": "saturation",
        "implied_orders_per_second": {"producer": by_producer, "consumer": by_consumer},
        "mesh_saturation_to_delivered": _ratio(delivered, limit),
    }


def _ratio(mesh: float | None, baseline: float | None) -> dict[str, float | None]:
    ratio = round(mesh / baseline, 3) if mesh and baseline else None
    return {"mesh": mesh, "baseline": baseline, "ratio": ratio}


def ratios(
    mesh: dict[str, Any], null: dict[str, Any], database: dict[str, Any], hops: int
) -> dict[str, Any]:
    """Mesh over baseline: throughput (below 1: the mesh is slower than the bare broker) and
    median latency (above 1: the mesh waits longer per hop than the bare broker)."""
    throughput = {
        f"{phase} to {end}": _ratio(
            mesh[phase]["throughput"][end]["orders_per_second"],
            null[phase]["throughput"][end]["orders_per_second"],
        )
        for phase in ("fixed_load", "saturation")
        for end in ("booked", "delivered")
    }
    latency = {
        key: _ratio(
            mesh["fixed_load"]["latency_ms"][key].get("p50"),
            null["fixed_load"]["latency_ms"][key].get("p50"),
        )
        for key in ("placed->booked", "placed->delivered")
    }
    for hop, value in mesh["fixed_load"]["latency_ms"]["hops"].items():
        latency[hop] = _ratio(
            value.get("p50"), null["fixed_load"]["latency_ms"]["hops"][hop].get("p50")
        )
    delivered = mesh["saturation"]["throughput"]["delivered"]["orders_per_second"]
    hop_rate = round(delivered * hops, 1) if delivered else None
    return {
        "throughput": throughput,
        "latency_p50": latency,
        "database": _ratio(hop_rate, database["updates_per_second"]),
    }
