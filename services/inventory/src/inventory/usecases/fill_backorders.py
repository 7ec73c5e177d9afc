"""Fill backordered orders when stock arrives: each whole, as a fresh allocation would, once.

A fill claims the backorder (BACKORDERED -> PENDING, with the causing event's id as ``claim``)
in one versioned update before touching stock, so a cancellation, the expiry timer or another
receipt's fill never acts on it at the same time. Whoever took holds and then fails to settle
(the order was cancelled meanwhile) gives them back. A fill that died half-way is finished by the
redelivery of the event that claimed it; any other event leaves a claimed backorder alone.
"""

from dataclasses import dataclass
from functools import partial

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.allocation import Allocation
from inventory.domain.reservation import (
    Reservation,
    ReservationStatus,
    claimed,
    held_by,
    reserved,
    unclaimed,
)
from inventory.ports import ReservationRepository
from inventory.usecases.context import Inventory
from inventory.usecases.emit import order_event
from inventory.usecases.holds import give_back, reserved_event
from inventory.usecases.reserve import ReservedEvent, change, reserve


async def fill_backorders(sku: str, cause: Envelope, inventory: Inventory) -> list[str]:
    """Try every backorder waiting for ``sku``, oldest first; the order ids reserved now.

    One that still cannot be filled whole is skipped, not waited for: it would otherwise hold
    younger orders hostage to a line that may never arrive.
    """
    filled = []
    for waiting in await inventory.reservations.waiting_for(sku):
        if await fill_backorder(waiting.order_id, cause, inventory):
            filled.append(waiting.order_id)
    return filled


async def fill_backorder(order_id: str, cause: Envelope, inventory: Inventory) -> bool:
    """Reserve a backordered order if the stock now covers all of it; True if reserved now."""
    event = partial(_reserved, cause, inventory)
    fill = BackorderFill(inventory.reservations, order_id, str(cause.event_id), event)
    stored = await inventory.reservations.get(order_id)
    if stored is None or stored.backorder is None:
        return False
    backorder = stored.backorder
    if not await _claimable(stored, cause, inventory, fill):
        return False
    if inventory.clock() >= backorder.deadline:
        return False  # past its bound: the timer reports it short
    subject = f"backorder {order_id}"
    outcome = await reserve(inventory, cause, backorder.lines, backorder.market, fill, subject)
    return isinstance(outcome, Reservation)


@dataclass(frozen=True)
class BackorderFill:
    """The ledger of a fill: the backorder is claimed in the versioned update that stores the plan,
    and every later write applies only while the claim holds."""

    reservations: ReservationRepository
    order_id: str
    claim: str
    event: ReservedEvent

    async def store_plan(self, allocations: tuple[Allocation, ...]) -> Reservation | None:
        stored = await self.reservations.update(
            self.order_id, change(lambda current: claimed(current, self.claim, allocations))
        )
        if stored is None or not held_by(stored, self.claim):
            return None  # cancelled, expired or filled meanwhile
        return stored

    async def store_reserved(
        self, pending: Reservation, allocations: tuple[Allocation, ...]
    ) -> Reservation | None:
        event = self.event(pending, allocations)
        stored = await self.reservations.update(
            self.order_id, change(lambda current: reserved(current, self.claim), event)
        )
        if stored is None or stored.status is not ReservationStatus.RESERVED:
            return None  # cancelled while the holds were taken
        return stored

    async def gave_back(self) -> None:
        await self.reservations.update(
            self.order_id, change(lambda current: unclaimed(current, self.claim))
        )


async def _claimable(
    stored: Reservation, cause: Envelope, inventory: Inventory, fill: BackorderFill
) -> bool:
    """Whether this cause may fill it now: it waits, or this cause's own earlier fill died
    half-way (then undone first); any other fill under way is left to finish."""
    if stored.status is ReservationStatus.BACKORDERED:
        return True
    if not held_by(stored, fill.claim):
        return False  # not waiting, or another event's fill is under way (its redelivery ends it)
    await give_back(inventory, cause, stored.allocations, stored.reservation_id)
    await fill.gave_back()
    return True


def _reserved(
    cause: Envelope, inventory: Inventory, pending: Reservation, allocations: tuple[Allocation, ...]
) -> OutboxMessage:
    order_id = pending.order_id
    correlation_id = pending.backorder.correlation_id if pending.backorder else order_id
    order_cause = getattr(cause, "order_id", None) == order_id
    return reserved_event(
        lambda event_type, **fields: order_event(
            event_type,
            topics=inventory.topics,
            cause_id=cause.event_id,
            # One receipt can fill several orders; the order's own event emits one reservation.
            name=event_type.__name__ if order_cause else f"{event_type.__name__}/{order_id}",
            order_id=order_id,
            correlation_id=correlation_id,
            now=inventory.clock(),
            **fields,
        ),
        pending.reservation_id,
        allocations,
    )
