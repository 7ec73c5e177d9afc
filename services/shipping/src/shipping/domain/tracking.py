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


def moves(scans: tuple[Scan, ...]) -> list[tuple[Scan, ShipmentStatus]]:
    """Each scan that moved the parcel, in the order they happened, with where it moved it."""
    moved: list[tuple[Scan, ShipmentStatus]] = []
    for scan in in_time_order(scans):
        if _moves(moved[-1][1] if moved else None, scan):
            moved.append((scan, _MOVES_TO[scan.status]))
    return moved


def tracked_status(scans: tuple[Scan, ...]) -> ShipmentStatus | None:
    deciding = deciding_scan(scans)
    return None if deciding is None else _MOVES_TO[deciding.status]


def scanned(shipment: Shipment, scan: Scan, max_delivery_attempts: int) -> Tracked:
    """``shipment`` with ``scan`` recorded, and what that tells. A scan already known (same
    status and time, whatever the message's id) and a scan of a cancelled booking change
    nothing (the carrier honours a cancellation made before pickup)."""
    if _changes_nothing(shipment, scan):
        return Tracked(shipment, ())
    recorded = _recorded(shipment, scan)
    recall = _recall_needed(recorded.after, max_delivery_attempts)
    broken = _promise_broken(recorded)
    after = replace(
        recorded.after,
        recall_requested=recorded.after.recall_requested or recall,
        sla_breached=recorded.after.sla_breached or broken,
    )
    facts = (
        _picked_up(recorded),
        _told(recorded),
        RecallNeeded() if recall else None,
        PromiseBroken() if broken else None,
    )
    return Tracked(after, tuple(fact for fact in facts if fact is not None))


@dataclass(frozen=True)
class _Recorded:
    """One new scan recorded: the shipment before and after it, and the scan that decides."""

    before: Shipment
    after: Shipment  # with the scan, at the status its scans decide
    scan: Scan
    deciding: Scan | None
    latest: bool  # later than every scan known before it


def _changes_nothing(shipment: Shipment, scan: Scan) -> bool:
    return shipment.status is ShipmentStatus.CANCELLED or any(
        known.identity == scan.identity for known in shipment.scans
    )


def _recorded(shipment: Shipment, scan: Scan) -> _Recorded:
    scans = (*shipment.scans, scan)
    deciding = deciding_scan(scans)
    status = shipment.status if deciding is None else _MOVES_TO[deciding.status]
    latest = all(known.scanned_at < scan.scanned_at for known in shipment.scans)
    return _Recorded(
        shipment, replace(shipment, scans=scans, status=status), scan, deciding, latest
    )


def _picked_up(recorded: _Recorded) -> PickedUp | None:
    """The pickup, told once, when the first scan at or past it arrives."""
    if not recorded.before.status.before_pickup or recorded.after.status.before_pickup:
        return None
    return PickedUp(min(s.scanned_at for s in recorded.after.scans if s.status in _MOVES_TO))


def _told(recorded: _Recorded) -> Scanned | None:
    """The scan, if it is the latest and says where the parcel is now or reports a problem."""
    if recorded.latest and (_moved_on(recorded) or _problem_on_the_way(recorded)):
        return Scanned(recorded.scan)
    return None


def _moved_on(recorded: _Recorded) -> bool:
    # A pickup scan is told as PickedUp, not as a scan.
    return recorded.deciding is recorded.scan and recorded.scan.status != "picked_up"


def _problem_on_the_way(recorded: _Recorded) -> bool:
    # Before any moving scan the pickup is still to be told first.
    return (
        recorded.scan.status == "exception"
        and recorded.deciding is not None
        and recorded.after.status.in_flight
    )


def _recall_needed(after: Shipment, max_delivery_attempts: int) -> bool:
    """As many failed deliveries as the policy allows, on an outbound parcel not yet recalled."""
    return (
        after.delivery_failures >= max_delivery_attempts
        and after.status.in_flight
        and not after.recall_requested
        and not after.returning
    )


def _promise_broken(recorded: _Recorded) -> bool:
    """Just delivered, after the promised date, on an outbound parcel not yet reported late."""
    after = recorded.after
    just_delivered = (
        after.status is ShipmentStatus.DELIVERED
        and recorded.before.status is not ShipmentStatus.DELIVERED
    )
    return just_delivered and _late(recorded) and not after.sla_breached and not after.returning


def _late(recorded: _Recorded) -> bool:
    deliver_by = recorded.after.deliver_by
    deciding = recorded.deciding
    return deliver_by is not None and deciding is not None and deciding.scanned_at > deliver_by
