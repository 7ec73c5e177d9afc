"""Shipping's business metrics, counted from the shipment events it publishes."""

from collections.abc import Callable
from typing import Any

from prometheus_client import Counter

from conveyor_contracts.topics import CARRIER_CODES
from conveyor_runtime.metrics import MessagingMetrics


def count_shipping_facts(metrics: MessagingMetrics) -> None:
    """``conveyor_bookings_declined_total{carrier}``, ``conveyor_sla_breaches_total{carrier}``."""
    metrics.count_published(
        "conveyor_bookings_declined",
        "Bookings a carrier did not take (declined, or did not answer in time), per carrier.",
        ("carrier",),
        {"ShipmentRebooked": _rebooked_after_decline, "ShipmentBookingFailed": _last_refusal},
    )
    metrics.count_published(
        "conveyor_sla_breaches",
        "Outbound parcels not delivered by their promised date, per carrier.",
        ("carrier",),
        {"DeliverySlaBreached": lambda event: (event["carrier_code"],)},
    )


def count_foreign_reports(metrics: MessagingMetrics) -> Callable[[str], None]:
    """``conveyor_carrier_reports_ignored_total{carrier}``: reports a carrier sent about a
    shipment it does not hold, which shipping ignores. Nothing is published for them, so the
    counter is moved by the use case, once per report (a redelivery is already applied).
    Every carrier's series starts at 0, so ``increase()`` sees the first one."""
    counter = Counter(
        "conveyor_carrier_reports_ignored",
        "Tracking reports from a carrier about a shipment it does not hold (another carrier "
        "has it, or it was let go), ignored; per reporting carrier.",
        ("carrier",),
        registry=metrics.registry,
    )
    for code in CARRIER_CODES:
        counter.labels(code)
    return lambda carrier_code: counter.labels(carrier_code).inc()


def _rebooked_after_decline(event: dict[str, Any]) -> tuple[str] | None:
    if event["reason"] != "carrier_declined":
        return None  # a missed pickup is the carrier's failure, not a declined booking
    return (event["previous_carrier_code"],)


def _last_refusal(event: dict[str, Any]) -> tuple[str] | None:
    # Every carrier but the last was counted by its ShipmentRebooked; the last one refusing is
    # why no booking remains. (The event does not tell a last missed pickup from a decline.)
    if event["reason"] != "all_carriers_declined" or not event["carriers_tried"]:
        return None
    return (event["carriers_tried"][-1],)
