"""What a carrier's report makes of the shipment it names: acceptance, decline, and scans.

A carrier speaks only for itself: the carrier is the one whose topic the report came on,
whatever the message says. The scans' rules are ``tracking``'s; each fact they give is told as
its event, the parcel leaving as ``Collected`` even when the pickup scan itself is lost or late.
"""

from dataclasses import replace
from datetime import datetime

from conveyor_contracts.carriers.tracking import (
    CarrierTrackingEvent,
    ShipmentAccepted,
    ShipmentDeclined,
    TrackingScanRecorded,
)
from shipping.domain.events import (
    CarrierLetGo,
    Collected,
    Confirmed,
    PromiseMissed,
    RecallAsked,
    ScanReported,
    ShippingEvent,
    already_applied,
    remembered,
)
from shipping.domain.forecast import Forecasting, after_facts, reforecast
from shipping.domain.shipment import Fulfilment, Scan, Shipment, ShipmentStatus
from shipping.domain.tracking import (
    PickedUp,
    PromiseBroken,
    RecallNeeded,
    Scanned,
    TrackingFact,
    scanned,
)

Outcome = tuple[Fulfilment, list[ShippingEvent]]


def not_holding(shipment: Shipment, report: CarrierTrackingEvent, carrier_code: str) -> bool:
    """Whether the report is from a carrier that does not hold the shipment (another one has
    it, or it was let go), so nothing comes of it; an acceptance is answered all the same."""
    return carrier_code != shipment.carrier_code and not isinstance(report, ShipmentAccepted)


def on_carrier_report(
    fulfilment: Fulfilment,
    shipment: Shipment,
    report: CarrierTrackingEvent,
    carrier_code: str,
    max_delivery_attempts: int,
    now: datetime,
    forecasting: Forecasting,
) -> Outcome:
    """``report`` from ``carrier_code`` about ``shipment`` (one of ``fulfilment``'s), applied
    once; the scans it tells re-forecast the parcel's arrival (``forecasting``)."""
    if already_applied(fulfilment, report.event_id):
        return fulfilment, []
    if not_holding(shipment, report, carrier_code):
        return remembered(fulfilment, report.event_id), []
    after, events = _applied(
        fulfilment, shipment, report, carrier_code, max_delivery_attempts, now, forecasting
    )
    return remembered(after, report.event_id), events


def _applied(
    fulfilment: Fulfilment,
    shipment: Shipment,
    report: CarrierTrackingEvent,
    carrier_code: str,
    max_delivery_attempts: int,
    now: datetime,
    forecasting: Forecasting,
) -> Outcome:
    order_id = fulfilment.order_id
    if carrier_code != shipment.carrier_code:
        # A carrier we gave up on accepted late: tell it not to come.
        return fulfilment, [CarrierLetGo(order_id, shipment, carrier_code, "rebooked_elsewhere")]
    match report:
        case ShipmentAccepted() if shipment.status is ShipmentStatus.BOOKING_REQUESTED:
            confirmed = replace(
                shipment, status=ShipmentStatus.CONFIRMED, tracking_number=report.tracking_number
            )
            return fulfilment.with_shipment(confirmed), [
                Confirmed(order_id, confirmed, report.estimated_delivery)
            ]
        case ShipmentDeclined() if shipment.status in (
            ShipmentStatus.BOOKING_REQUESTED,
            ShipmentStatus.CONFIRMED,
        ):
            waiting = replace(
                shipment,
                status=ShipmentStatus.AWAITING_CARRIER,
                rebook_reason="carrier_declined",
                cause=str(report.event_id),
                awaiting_since=now,
            ).declined(now)
            return fulfilment.with_shipment(waiting), []
        case TrackingScanRecorded():
            return _scanned(fulfilment, shipment, report, max_delivery_attempts, forecasting)
    return fulfilment, []  # a duplicate answer, or a cancellation the carrier confirms


def _scanned(
    fulfilment: Fulfilment,
    shipment: Shipment,
    report: TrackingScanRecorded,
    max_delivery_attempts: int,
    forecasting: Forecasting,
) -> Outcome:
    scan = Scan(report.status, report.scanned_at, report.location_code)
    tracked = scanned(shipment, scan, max_delivery_attempts)
    after = tracked.shipment
    if not after.tracking_number and after.scans != shipment.scans:
        after = replace(after, tracking_number=report.tracking_number)
    order_id = fulfilment.order_id
    events: list[ShippingEvent] = [
        _told(order_id, fact, after, max_delivery_attempts) for fact in tracked.facts
    ]
    details = fulfilment.details
    if details is not None and tracked.facts:
        will_retry = after.delivery_failures < max_delivery_attempts
        forecast = after_facts(after, tracked.facts, details, forecasting, will_retry)
        after, delayed = reforecast(order_id, after, forecast, details.promised_delivery)
        events += delayed
    return fulfilment.with_shipment(after), events


def _told(
    order_id: str, fact: TrackingFact, shipment: Shipment, max_delivery_attempts: int
) -> ShippingEvent:
    match fact:
        case PickedUp(at=at):
            return Collected(order_id, shipment, at)
        case RecallNeeded():
            # Return to sender by policy: ask the carrier to bring it back.
            return RecallAsked(order_id, shipment)
        case PromiseBroken():
            return PromiseMissed(order_id, shipment, shipment.deliver_by)
        case Scanned(scan=scan):
            will_retry = shipment.delivery_failures < max_delivery_attempts
            return ScanReported(order_id, shipment, scan, will_retry)
