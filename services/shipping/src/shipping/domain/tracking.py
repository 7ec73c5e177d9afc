"""What a parcel's carrier scans make of it: pure rules, no I/O.

Carriers re-send scans and upload them late, so scans are read in the order they happened
(``scanned_at``), never the order they arrived. The scan that says where the parcel is, the
*deciding* scan, is the latest moving scan in that order, except that nothing moves a parcel
out of delivered or returned to sender, and a parcel declared lost moves again only when it is
delivered or returned after all (it was found). A scan is told downstream only when it is later
than every scan already known and it decides the status (or reports a problem on the way): a
late scan is kept for the history and said to nobody, so every fact told is one the scans in
time order would have told, in their order.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from shipping.domain.shipment import Scan, Shipment, ShipmentStatus

_MOVES_TO = {
    "picked_up": ShipmentStatus.PICKED_UP,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivery_failed": ShipmentStatus.DELIVERY_FAILED,
    "delivered": ShipmentStatus.DELIVERED,
    "returned_to_sender": ShipmentStatus.RETURNED_TO_SENDER,
    "lost": ShipmentStatus.LOST,
}  # "exception" only reports a problem: it moves nothing
_ENDS = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER})


@dataclass(frozen=True)
class PickedUp:
    """The parcel left: the first scan at or past pickup (the pickup scan itself may be late)."""

    at: datetime


@dataclass(frozen=True)
class Scanned:
    """The scan that now says where the parcel is (or a problem reported on its way)."""

    scan: Scan


@dataclass(frozen=True)
class RecallNeeded:
    """As many failed deliveries as the policy allows: ask the carrier to bring it back."""


@dataclass(frozen=True)
class PromiseBroken:
    """Delivered after the promised date."""


TrackingFact = PickedUp | Scanned | RecallNeeded | PromiseBroken


@dataclass(frozen=True)
class Tracked:
    shipment: Shipment
    facts: tuple[TrackingFact, ...]


def in_time_order(scans: tuple[Scan, ...]) -> list[Scan]:
    return sorted(scans, key=lambda s: (s.scanned_at, s.status))


def _moves(status: ShipmentStatus | None, scan: Scan) -> bool:
    if scan.status not in _MOVES_TO:
        return False
    if status in _ENDS:
        return False
    if status is ShipmentStatus.LOST:
        return _MOVES_TO[scan.status] in _ENDS  # found after all
    return True


def deciding_scan(scans: tuple[Scan, ...]) -> Scan | None:
    """The scan that says where the parcel is, whatever order the scans arrived in."""
    deciding: Scan | None = None
    for scan in in_time_order(scans):
        if _moves(None if deciding is None else _MOVES_TO[deciding.status], scan):
            deciding = scan
    return deciding


def tracked_status(scans: tuple[Scan, ...]) -> ShipmentStatus | None:
    deciding = deciding_scan(scans)
    return None if deciding is None else _MOVES_TO[deciding.status]


def scanned(shipment: Shipment, scan: Scan, max_delivery_attempts: int) -> Tracked:
    """``shipment`` with ``scan`` recorded, and what that tells. A scan already known (same
    status and time, whatever the message's id) and a scan of a cancelled booking change
    nothing (the carrier honours a cancellation made before pickup)."""
    if shipment.status is ShipmentStatus.CANCELLED or any(
        known.identity == scan.identity for known in shipment.scans
    ):
        return Tracked(shipment, ())
    latest = all(known.scanned_at < scan.scanned_at for known in shipment.scans)
    scans = (*shipment.scans, scan)
    deciding = deciding_scan(scans)
    status = shipment.status if deciding is None else _MOVES_TO[deciding.status]
    after = replace(shipment, scans=scans, status=status)
    facts: list[TrackingFact] = []
    if shipment.status.before_pickup and not status.before_pickup:
        facts.append(PickedUp(min(s.scanned_at for s in scans if s.status in _MOVES_TO)))
    if latest and deciding is scan and scan.status != "picked_up":  # a pickup: PickedUp
        facts.append(Scanned(scan))
    elif latest and scan.status == "exception" and deciding is not None and status.in_flight:
        # A problem on the way. Before any moving scan the pickup is still to be told first.
        facts.append(Scanned(scan))
    if (
        after.delivery_failures >= max_delivery_attempts
        and status.in_flight
        and not after.recall_requested
        and not after.returning
    ):
        after = replace(after, recall_requested=True)
        facts.append(RecallNeeded())
    if (
        status is ShipmentStatus.DELIVERED
        and shipment.status is not ShipmentStatus.DELIVERED
        and deciding is not None
        and after.deliver_by is not None
        and deciding.scanned_at > after.deliver_by
        and not after.sla_breached
        and not after.returning
    ):
        after = replace(after, sla_breached=True)
        facts.append(PromiseBroken())
    return Tracked(after, tuple(facts))
