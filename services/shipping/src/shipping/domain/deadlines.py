"""A shipment's deadlines: by when a carrier must answer, collect and deliver, and how long it
may stay silent; what passing each one changes. The timer asks for the next one to wake at."""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from shipping.domain.events import (
    CarrierLetGo,
    CarrierSilent,
    DeadlineEvent,
    DeadlinePassed,
    PromiseMissed,
    ShippingEvent,
)
from shipping.domain.shipment import RESUME_BOOKING_AFTER, Fulfilment, Shipment, ShipmentStatus

DeadlineKind = Literal["resume_booking", "accept_by", "pickup_by", "deliver_by", "silence"]
# A carrier that does not answer in time is taken to decline; one that does not come, to miss it.
REBOOK_REASONS: dict[DeadlineKind, str] = {
    "accept_by": "carrier_declined",
    "pickup_by": "pickup_missed",
}
_DEADLINES = uuid.UUID("6b1f1f0e-8c39-4a8e-9d7c-5e0b8a6f2d41")


@dataclass(frozen=True)
class Deadline:
    """By when something should happen to a shipment: ``allowance`` after ``anchor``.

    The anchor (a promised instant, or the carrier's last sign of life) does not depend on when
    the timer runs, so it names the deadline: what its passing emits derives its ids from it.
    """

    kind: DeadlineKind
    anchor: datetime
    allowance: timedelta = timedelta(0)

    @property
    def due(self) -> datetime:
        return self.anchor + self.allowance


def deadlines(fulfilment: Fulfilment, shipment: Shipment, silence: timedelta) -> list[Deadline]:
    """The deadlines of one of the order's shipments still to handle, passed or not."""
    status = shipment.status
    if status is ShipmentStatus.AWAITING_CARRIER:
        return _interrupted_booking(fulfilment, shipment)
    if status is ShipmentStatus.BOOKING_REQUESTED:
        return _promised("accept_by", shipment.accept_by)
    if status is ShipmentStatus.CONFIRMED:
        return _promised("pickup_by", shipment.pickup_by)
    if status.in_flight:
        return _delivery_promise(shipment) + _carrier_silence(shipment, silence)
    return []


def passed_deadlines(
    fulfilment: Fulfilment, shipment: Shipment, silence: timedelta, now: datetime
) -> list[Deadline]:
    return [d for d in deadlines(fulfilment, shipment, silence) if d.due <= now]


def next_due(fulfilment: Fulfilment, silence: timedelta) -> datetime | None:
    """The earliest deadline still to handle across the order's shipments, if any."""
    dues = (d.due for s in fulfilment.shipments for d in deadlines(fulfilment, s, silence))
    return min(dues, default=None)


def after_deadline(shipment: Shipment, deadline: Deadline, cause: str, now: datetime) -> Shipment:
    """``shipment`` once ``deadline`` passed (``cause``: the id of its passing)."""
    match deadline.kind:
        case "accept_by":
            # No answer in time counts as a decline (the carrier's decline rate).
            return let_go(shipment.declined(now), REBOOK_REASONS["accept_by"], cause, now)
        case "pickup_by":
            return let_go(shipment, REBOOK_REASONS["pickup_by"], cause, now)
        case "deliver_by":
            return replace(shipment, sla_breached=True)
        case "silence":
            return replace(shipment, silence_reported_at=now)
    return shipment  # resume_booking: booking resumes it, as it stands


def deadline_cause(shipment: Shipment, kind: str, due: datetime) -> uuid.UUID:
    """A stable id for "this deadline of this shipment passed", the cause of what it emits."""
    return uuid.uuid5(_DEADLINES, f"{shipment.shipment_id}/{kind}/{due.isoformat()}")


def after_deadlines(
    fulfilment: Fulfilment, silence: timedelta, now: datetime
) -> tuple[Fulfilment, list[ShippingEvent]]:
    """What the deadlines passed by ``now`` make of the order's shipments, and what they tell."""
    events: list[ShippingEvent] = []
    for shipment in fulfilment.shipments:
        for deadline in passed_deadlines(fulfilment, shipment, silence, now):
            passing = deadline_cause(shipment, deadline.kind, deadline.anchor)
            shipment = after_deadline(shipment, deadline, str(passing), now)
            told = _told(fulfilment.order_id, shipment, deadline, now)
            events += [DeadlinePassed(passing, event) for event in told]
        fulfilment = fulfilment.with_shipment(shipment)
    return fulfilment, events


def _told(
    order_id: str, shipment: Shipment, deadline: Deadline, now: datetime
) -> list[DeadlineEvent]:
    """What a deadline that passed tells, once the shipment has taken it into account."""
    match deadline.kind:
        case "accept_by" | "pickup_by":
            assert shipment.carrier_code is not None  # only booked shipments have these
            return [CarrierLetGo(order_id, shipment, shipment.carrier_code, "rebooked_elsewhere")]
        case "deliver_by":
            return [PromiseMissed(order_id, shipment, deadline.anchor)]
        case "silence":
            return [CarrierSilent(order_id, shipment, deadline.allowance, now)]
    return []  # an interrupted booking: booking resumes it, right after


def let_go(shipment: Shipment, reason: str, cause: str, now: datetime) -> Shipment:
    """Stop waiting for this carrier and wait for the next one."""
    return replace(
        shipment,
        status=ShipmentStatus.AWAITING_CARRIER,
        rebook_reason=reason,
        cause=cause,
        awaiting_since=now,
    )


def _interrupted_booking(fulfilment: Fulfilment, shipment: Shipment) -> list[Deadline]:
    # The event that left it waiting books it at once; the timer only resumes a booking a
    # crash or an outage interrupted.
    if fulfilment.details is None or not fulfilment.waiting_for_carrier():
        return []
    waiting_since = shipment.awaiting_since or fulfilment.details.accepted_at
    return [Deadline("resume_booking", waiting_since, RESUME_BOOKING_AFTER)]


def _promised(kind: DeadlineKind, by: datetime | None) -> list[Deadline]:
    return [] if by is None else [Deadline(kind, by)]


def _delivery_promise(shipment: Shipment) -> list[Deadline]:
    """The delivery date promised to the buyer: a return's is nobody's, and a broken one is
    reported once."""
    if shipment.sla_breached or shipment.returning:
        return []
    return _promised("deliver_by", shipment.deliver_by)


def _carrier_silence(shipment: Shipment, silence: timedelta) -> list[Deadline]:
    """A carrier silent for ``silence`` since its last scan (or the last report of its silence)."""
    quiet_since = max(
        filter(None, (shipment.last_scan_at, shipment.silence_reported_at)), default=None
    )
    return [] if quiet_since is None else [Deadline("silence", quiet_since, silence)]
