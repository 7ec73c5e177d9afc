"""Inventory's business metrics, counted from the reservation events it publishes."""

from typing import Any

from conveyor_runtime.metrics import LabelsOf, MessagingMetrics

_OUTCOMES = {
    "StockReserved": "reserved",
    "StockBackordered": "backordered",
    "StockShortage": "short",
}


def count_reservation_outcomes(metrics: MessagingMetrics) -> None:
    """``conveyor_stock_reservations_total{outcome}``: reserved, backordered or short, once per
    reservation event (a backorder filled later counts as backordered, then as reserved)."""
    metrics.count_published(
        "conveyor_stock_reservations",
        "Reservation outcomes inventory reported: reserved, backordered, short.",
        ("outcome",),
        {event_type: _outcome(outcome) for event_type, outcome in _OUTCOMES.items()},
    )


def _outcome(outcome: str) -> LabelsOf:
    def labels(_: dict[str, Any]) -> tuple[str]:
        return (outcome,)

    return labels
