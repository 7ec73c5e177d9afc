"""Shipping's business metrics, counted from the shipment events it publishes."""

from typing import Any

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
