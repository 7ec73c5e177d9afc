"""How long shipping keeps a buyer's personal data, and erasing it. Pure rules.

Shipping holds the order's delivery address and recipient (``OrderDetails``) and a return's
collection address and sender (``ReturnPickup``). They are needed while a parcel is with a
carrier or waiting for one; once the order has settled (every parcel at an end) they are kept for
the retention (90 days by default: delivery disputes, carrier claims) and then erased. An
erasure request erases them as soon as the order has settled: at once when nothing is in
flight, else at the end of the last parcel, because a carrier still delivering a parcel needs
its address (GDPR Art. 17(3)(b) and 6(1)(b): the contract being performed) and because refusing
would leave the shop to ask again. What is erased is replaced, so statuses, scans, tracking
numbers, lines and deadlines still read.
"""

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from conveyor_contracts.privacy import erased, holds_personal_data
from shipping.domain.deadlines import next_due
from shipping.domain.events import PersonalDataErased, ShippingEvent, already_applied, remembered
from shipping.domain.shipment import ErasureRequest, Fulfilment, Shipment

Outcome = tuple[Fulfilment, list[ShippingEvent]]


def holds_personal(fulfilment: Fulfilment) -> bool:
    details = fulfilment.details
    if details is not None and (
        holds_personal_data(details.ship_to) or holds_personal_data(details.recipient)
    ):
        return True
    return any(
        holds_personal_data(s.returning.collect_from) or holds_personal_data(s.returning.sender)
        for s in fulfilment.shipments
        if s.returning is not None
    )


def settled_at(fulfilment: Fulfilment) -> datetime | None:
    """When the order's last fact shipping knows happened, if nothing of it is in flight or
    waiting for a carrier; ``None`` while something is.

    It is the latest instant the fulfilment records (acceptance, bookings, scans, a request):
    a cancellation is not dated, so the retention may start a little early, never late.
    """
    if any(not s.status.final for s in fulfilment.shipments):
        return None
    if fulfilment.details is not None and not fulfilment.shipments and not fulfilment.cancelled:
        return None  # accepted, its parcels not planned yet
    instants: list[datetime | None] = [fulfilment.details.accepted_at] if fulfilment.details else []
    for s in fulfilment.shipments:
        instants += [s.last_scan_at, s.booked_at, s.awaiting_since, s.silence_reported_at]
    instants += [request.requested_at for request in fulfilment.erasures]
    return max(filter(None, instants), default=None)


def forget_at(fulfilment: Fulfilment, retention: timedelta) -> datetime | None:
    """When the order's personal data is to be erased (and pending requests confirmed)."""
    if not (fulfilment.erasures or holds_personal(fulfilment)):
        return None
    ended = settled_at(fulfilment)
    if ended is None:
        return None
    # Once a buyer asked, data that came later (a late acceptance) goes as soon as it may.
    return ended if fulfilment.erasure_requested else ended + retention


def forgotten(fulfilment: Fulfilment) -> Fulfilment:
    """The fulfilment without personal data and without pending requests (their confirmations
    are the caller's to emit)."""
    details = fulfilment.details
    if details is not None:
        details = replace(
            details, ship_to=erased(details.ship_to), recipient=erased(details.recipient)
        )
    return replace(
        fulfilment,
        details=details,
        shipments=tuple(_forgotten(s) for s in fulfilment.shipments),
        erasures=(),
    )


def on_erasure_requested(
    fulfilment: Fulfilment, request: ErasureRequest, retention: timedelta, now: datetime
) -> Outcome:
    """The request noted, and the data erased at once if the order has settled."""
    if already_applied(fulfilment, uuid.UUID(request.event_id)):
        return fulfilment, []  # a redelivery: confirmed (or waiting) already
    asked = replace(
        remembered(fulfilment, uuid.UUID(request.event_id)),
        erasures=(*fulfilment.erasures, request),
        erasure_requested=True,
    )
    return forget_if_due(asked, retention, now, deferred=False)


def forget_if_due(
    fulfilment: Fulfilment, retention: timedelta, now: datetime, *, deferred: bool
) -> Outcome:
    """The fulfilment without personal data if its time has come, with a confirmation for each
    request that waited; as it is otherwise."""
    due = forget_at(fulfilment, retention)
    if due is None or due > now:
        return fulfilment, []
    confirmations: list[ShippingEvent] = [
        PersonalDataErased(fulfilment.order_id, request, deferred)
        for request in fulfilment.erasures
    ]
    return forgotten(fulfilment), confirmations


def _forgotten(shipment: Shipment) -> Shipment:
    pickup = shipment.returning
    if pickup is None:
        return shipment
    return replace(
        shipment,
        returning=replace(
            pickup, collect_from=erased(pickup.collect_from), sender=erased(pickup.sender)
        ),
    )


def next_deadline(
    fulfilment: Fulfilment, silence: timedelta, retention: timedelta
) -> datetime | None:
    """The earliest of the parcels' deadlines and the personal data's, for the timer poller."""
    due = (next_due(fulfilment, silence), forget_at(fulfilment, retention))
    return min(filter(None, due), default=None)
