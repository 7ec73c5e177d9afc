"""A carrier's behaviour as a pure function: booking request + seed -> answer and planned scans.

Every shipment gets its own ``random.Random`` seeded from (seed, shipment id), so a shipment's
fate does not depend on which other shipments the carrier saw first.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conveyor_contracts.carriers.requests import BookReturnPickup, BookShipment
from conveyor_contracts.carriers.tracking import CanonicalStatus


@dataclass(frozen=True)
class CarrierSettings:
    seed: int = 7
    decline_rate: float = 0.05
    pickup_delay_s: float = 3600.0  # simulated seconds; divided by --speed at run time
    scan_interval_s: float = 3 * 3600.0
    failed_delivery_rate: float = 0.05
    lost_rate: float = 0.01
    duplicate_rate: float = 0.05
    out_of_order_rate: float = 0.05
    # Punctuality: the share of parcels a carrier holds at a hub for ``late_delay_s`` more
    # (an extra in-transit scan), per carrier code; carriers not named are never late. The hold
    # is in the scans' dates only, not in when they are sent: like the rest of the simulated
    # time it would otherwise keep a run waiting for days. Twelve days outlast the longest
    # promised window (7 business days after a dispatch-by 2 business days out).
    late_rates: Mapping[str, float] = field(default_factory=dict)
    late_delay_s: float = 12 * 24 * 3600.0

    def late_rate(self, code: str) -> float:
        return self.late_rates.get(code, 0.0)


@dataclass(frozen=True)
class PlannedScan:
    at_s: float  # simulated seconds after the booking arrived
    status: CanonicalStatus
    raw_status: str
    location_code: str
    scanned_at: datetime


@dataclass(frozen=True)
class CarrierPlan:
    accepted: bool
    tracking_number: str
    scans: tuple[PlannedScan, ...] = field(default=())


_RAW = {
    "picked_up": "PU",
    "in_transit": "ARR_HUB",
    "out_for_delivery": "OFD",
    "delivered": "DLV",
    "delivery_failed": "NA_DLV",
    "lost": "MISSING",
}


def tracking_number(code: str, seed: int, shipment_id: str) -> str:
    rng = random.Random(f"{seed}:{code}:{shipment_id}:tn")
    return f"{code[:2].upper()}{rng.randint(10**9, 10**10 - 1)}"


def plan_shipment(
    code: str, request: BookShipment | BookReturnPickup, settings: CarrierSettings
) -> CarrierPlan:
    """What this carrier will do with a booking: accept or decline, then which scans, when."""
    rng = random.Random(f"{settings.seed}:{code}:{request.shipment_id}")
    number = tracking_number(code, settings.seed, request.shipment_id)
    if rng.random() < settings.decline_rate:
        return CarrierPlan(accepted=False, tracking_number=number)
    statuses: list[CanonicalStatus] = ["picked_up", "in_transit", "out_for_delivery"]
    # Drawn only for a carrier that can be late, so other carriers' plans stay as they were.
    held = settings.late_rate(code) > 0 and rng.random() < settings.late_rate(code)
    if held:
        statuses.insert(2, "in_transit")  # scanned again at the hub, days later
    fate = rng.random()
    if fate < settings.lost_rate:
        statuses = ["picked_up", "in_transit", "lost"]
    elif fate < settings.lost_rate + settings.failed_delivery_rate:
        statuses += ["delivery_failed", "out_for_delivery", "delivered"]  # second attempt works
    else:
        statuses.append("delivered")
    location = f"{code[:3].upper()}-HUB{rng.randint(1, 9)}"
    scans: list[PlannedScan] = []
    at, hold = settings.pickup_delay_s, 0.0
    for position, status in enumerate(statuses):
        if held and position == 2:
            hold = settings.late_delay_s  # the parcel sat at the hub
        scanned_at = request.occurred_at + timedelta(seconds=at + hold)
        scans.append(PlannedScan(at, status, _RAW[status], location, scanned_at))
        at += settings.scan_interval_s
    result: list[PlannedScan] = []
    for scan in scans:
        result.append(scan)
        if rng.random() < settings.duplicate_rate:
            result.append(scan)  # carriers resend scans; consumers must dedupe
    # Out of order: a scan is delivered after its successor (a late upload from a handheld),
    # keeping its true scanned_at, so consumers must order by scanned_at, not arrival.
    for position in range(len(result) - 1):
        if rng.random() < settings.out_of_order_rate:
            first, second = result[position], result[position + 1]
            result[position] = PlannedScan(
                first.at_s,
                second.status,
                second.raw_status,
                second.location_code,
                second.scanned_at,
            )
            result[position + 1] = PlannedScan(
                second.at_s, first.status, first.raw_status, first.location_code, first.scanned_at
            )
    return CarrierPlan(accepted=True, tracking_number=number, scans=tuple(result))
