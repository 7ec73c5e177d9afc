"""A reservation's transitions that others hear of: each takes the reservation as stored now and a
fact, and returns it as it becomes with the events it emits (none when it changed nothing).

Pure, as the plain transitions of ``reservation`` are: a write that lost a race applies them again
to a fresh read, which may have moved on since the use case read it.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from inventory.domain.allocation import Allocation
from inventory.domain.events import (
    Backordered,
    Committed,
    Released,
    ReservationEvent,
    Reserved,
    Restocked,
    Shortage,
    ShortLines,
)
from inventory.domain.reservation import (
    Backorder,
    Reservation,
    ReservationStatus,
    backordered,
    expired_by,
    fell_short,
    reserved,
)

Outcome = tuple[Reservation, list[ReservationEvent]]

HOLDING = (ReservationStatus.PENDING, ReservationStatus.RESERVED)


class ReservationMovedError(Exception):
    """What is stored moved on since it was read in a way the change cannot follow: start over
    from a fresh read."""


def silently(transition: Callable[[Reservation], Reservation]) -> Callable[[Reservation], Outcome]:
    """``transition`` as a change nobody hears of (a plan, a claim: bookkeeping of the loop)."""
    return lambda current: (transition(current), [])


def reserve_held(
    reservation: Reservation,
    claim: str,
    allocations: tuple[Allocation, ...],
    among_several: bool = False,
) -> Outcome:
    """The attempt ``claim`` holds every allocation: reserved, and said so; unchanged and silent
    when it is no longer that attempt's (cancelled while the holds were taken)."""
    after = reserved(reservation, claim)
    if after == reservation:
        return reservation, []
    event = Reserved(
        after.order_id, after.reservation_id, allocations, after.case_id, among_several
    )
    return after, [event]


def report_short(reservation: Reservation, short_lines: ShortLines) -> Outcome:
    """The market cannot cover it and it will not wait."""
    return fell_short(reservation), [Shortage(reservation.order_id, short_lines)]


def put_on_backorder(reservation: Reservation, backorder: Backorder) -> Outcome:
    """The market cannot cover it yet: it waits for receipts until the backorder's deadline."""
    event = Backordered(reservation.order_id, backorder.short_lines, backorder.deadline.date())
    return backordered(reservation, backorder), [event]


def expire(reservation: Reservation, now: datetime, short_lines: ShortLines) -> Outcome:
    """A backorder past its bound by ``now`` is short; anything else (filled, dropped, expired
    already) stays as it is."""
    if not expired_by(reservation, now):
        return reservation, []
    after = replace(reservation, status=ReservationStatus.SHORT)
    return after, [Shortage(reservation.order_id, short_lines)]


def release(current: Reservation, read: Reservation) -> Outcome:
    """The holds of ``read`` were given back: released. ReservationMovedError when a backorder fill
    settled or re-planned it after they were."""
    if current.status not in HOLDING:
        return current, []
    if current.status is not read.status or current.allocations != read.allocations:
        raise ReservationMovedError(current.order_id)
    after = replace(current, status=ReservationStatus.RELEASED)
    return after, [Released(current.order_id, read.reservation_id)]


def drop(current: Reservation) -> Outcome:
    """A cancelled backorder held nothing: dropped, with no event. ReservationMovedError when a
    receipt claimed it since it was read (its holds are released then)."""
    if current.status in HOLDING:
        raise ReservationMovedError(current.order_id)
    if current.status is not ReservationStatus.BACKORDERED:
        return current, []  # expired or dropped meanwhile
    return replace(current, status=ReservationStatus.DROPPED), []


def commit(current: Reservation, committed: Committed) -> Outcome:
    """A parcel left: its warehouse is committed, once."""
    if committed.warehouse_id in current.committed:
        return current, []
    return replace(current, committed=(*current.committed, committed.warehouse_id)), [committed]


def restock(current: Reservation, restocked: Restocked) -> Outcome:
    """A returned parcel was inspected: it is marked, once."""
    if restocked.shipment_id in current.returned:
        return current, []
    return replace(current, returned=(*current.returned, restocked.shipment_id)), [restocked]
