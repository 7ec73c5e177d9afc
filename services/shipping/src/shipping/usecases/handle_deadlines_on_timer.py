"""The order's deadlines that passed: silent or absent carriers are replaced, late parcels are
reported, personal data past its retention (or asked erased while the order was in flight) is
erased. Called by the timer poller with the instant it read the deadlines at."""

from collections.abc import Callable
from datetime import datetime

from conveyor_contracts.carriers.requests import CancelShipmentBooking
from conveyor_contracts.shipping.tracking import DeliverySlaBreached, ShipmentExceptionRaised
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.deadlines import Deadline, DeadlineKind, after_deadline, passed_deadlines
from shipping.domain.shipment import Fulfilment, Shipment
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, freeing_slots, give_back
from shipping.usecases.emit import Reaction, deadline_cause
from shipping.usecases.erase_personal_data_on_erasure_requested import forget_if_due


async def handle_deadlines_on_timer(order_id: str, now: datetime, shipping: Shipping) -> None:
    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[OutboxMessage]]:
        messages: list[OutboxMessage] = []
        for shipment in fulfilment.shipments:
            after, emitted = _passed(fulfilment, shipment, now, shipping)
            fulfilment = fulfilment.with_shipment(after)
            messages += emitted
        fulfilment, confirmations = forget_if_due(fulfilment, now, shipping, deferred=True)
        return fulfilment, messages + confirmations

    noting, freed = freeing_slots(change)
    await shipping.fulfilments.update(order_id, noting)
    await give_back(freed, shipping)  # carriers that did not answer or come
    await book_waiting_shipments(order_id, shipping)  # replacements, and interrupted bookings


def _passed(
    fulfilment: Fulfilment, shipment: Shipment, now: datetime, shipping: Shipping
) -> tuple[Shipment, list[OutboxMessage]]:
    """What the shipment's deadlines passed by ``now`` make of it, and what they tell."""
    messages: list[OutboxMessage] = []
    for deadline in passed_deadlines(fulfilment, shipment, shipping.policy.silence, now):
        cause = deadline_cause(shipment, deadline.kind, deadline.anchor)
        shipment = after_deadline(shipment, deadline, str(cause), now)
        reaction = Reaction(cause, fulfilment, shipping.topics, now)
        messages += _TOLD[deadline.kind](shipment, deadline, reaction)
    return shipment, messages


def _carrier_let_go(
    shipment: Shipment, deadline: Deadline, reaction: Reaction
) -> list[OutboxMessage]:
    assert shipment.carrier_code is not None  # only booked shipments have these deadlines
    return [
        reaction.carrier_command(
            CancelShipmentBooking, shipment, shipment.carrier_code, reason="rebooked_elsewhere"
        )
    ]


def _promise_broken(
    shipment: Shipment, deadline: Deadline, reaction: Reaction
) -> list[OutboxMessage]:
    return [
        reaction.shipment_event(
            DeliverySlaBreached,
            shipment,
            carrier_code=shipment.carrier_code,
            deliver_by=deadline.anchor,
        )
    ]


def _carrier_silent(
    shipment: Shipment, deadline: Deadline, reaction: Reaction
) -> list[OutboxMessage]:
    hours = round(deadline.allowance.total_seconds() / 3600, 1)
    return [
        reaction.shipment_event(
            ShipmentExceptionRaised,
            shipment,
            direction=shipment.direction,
            scanned_at=reaction.now,
            code="delayed",
            detail=f"no carrier scan for {hours} h",
        )
    ]


def _nothing(shipment: Shipment, deadline: Deadline, reaction: Reaction) -> list[OutboxMessage]:
    return []  # an interrupted booking: book_waiting_shipments resumes it, right after


# What each kind of deadline that passed tells, once the shipment has taken it into account.
_TOLD: dict[DeadlineKind, Callable[[Shipment, Deadline, Reaction], list[OutboxMessage]]] = {
    "resume_booking": _nothing,
    "accept_by": _carrier_let_go,
    "pickup_by": _carrier_let_go,
    "deliver_by": _promise_broken,
    "silence": _carrier_silent,
}
