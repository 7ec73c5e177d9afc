"""Fill backordered orders when stock arrives: each whole, as a fresh allocation would, once.

A fill claims the backorder (BACKORDERED -> PENDING, with the causing event's id as ``claim``)
in one versioned update before touching stock, so a cancellation, the expiry timer or another
receipt's fill never acts on it at the same time. Whoever took holds and then fails to settle
(the order was cancelled meanwhile) gives them back. A fill that died half-way is finished by the
redelivery of the event that claimed it; any other event leaves a claimed backorder alone.
"""

from dataclasses import replace

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.allocation import Allocated, Allocation
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.ports import Change
from inventory.usecases.context import Inventory
from inventory.usecases.emit import order_event
from inventory.usecases.holds import give_back, plan, reserved_event, take

ATTEMPTS = 5  # re-allocations after losing a race for the last units, before asking for a retry


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
    claim = str(cause.event_id)
    stored = await inventory.reservations.get(order_id)
    if stored is None or stored.backorder is None:
        return False
    if stored.status is ReservationStatus.PENDING:
        if stored.claim != claim:
            return False  # another event's fill is under way, or its redelivery will finish it
        # This event's earlier attempt died half-way: undo it and start again.
        await give_back(inventory, cause, stored.allocations, stored.reservation_id)
        await inventory.reservations.update(order_id, _unclaimed(claim))
    elif stored.status is not ReservationStatus.BACKORDERED:
        return False
    if inventory.clock() >= stored.backorder.deadline:
        return False  # past its bound: the timer reports it short
    for _ in range(ATTEMPTS):
        outcome = await plan(inventory, stored.backorder.lines, stored.backorder.market)
        if not isinstance(outcome, Allocated):
            return False
        claimed = await inventory.reservations.update(order_id, _claimed(claim, outcome))
        if claimed is None or not _holds_claim(claimed, claim):
            return False  # cancelled, expired or filled meanwhile
        rid = claimed.reservation_id
        if await take(inventory, cause, outcome.allocations, rid):
            event = _reserved(cause, inventory, claimed, outcome.allocations)
            settled = await inventory.reservations.update(order_id, _settled(claim, event))
            if settled is not None and settled.status is ReservationStatus.RESERVED:
                return True
            # Cancelled while the holds were taken: nothing may stay held for it.
            await give_back(inventory, cause, outcome.allocations, rid)
            return False
        await give_back(inventory, cause, outcome.allocations, rid)
        await inventory.reservations.update(order_id, _unclaimed(claim))
    raise ConcurrentUpdateError(f"stock for backorder {order_id} kept moving; retrying later")


def _holds_claim(reservation: Reservation, claim: str) -> bool:
    return reservation.status is ReservationStatus.PENDING and reservation.claim == claim


def _claimed(claim: str, outcome: Allocated) -> Change:
    def change(current: Reservation) -> tuple[Reservation, list[OutboxMessage]]:
        if current.status is not ReservationStatus.BACKORDERED:
            return current, []
        return (
            replace(
                current,
                status=ReservationStatus.PENDING,
                allocations=outcome.allocations,
                claim=claim,
            ),
            [],
        )

    return change


def _unclaimed(claim: str) -> Change:
    def change(current: Reservation) -> tuple[Reservation, list[OutboxMessage]]:
        if not _holds_claim(current, claim):
            return current, []
        return (
            replace(current, status=ReservationStatus.BACKORDERED, allocations=(), claim=None),
            [],
        )

    return change


def _settled(claim: str, event: OutboxMessage) -> Change:
    def change(current: Reservation) -> tuple[Reservation, list[OutboxMessage]]:
        if not _holds_claim(current, claim):
            return current, []
        return replace(current, status=ReservationStatus.RESERVED), [event]

    return change


def _reserved(
    cause: Envelope, inventory: Inventory, claimed: Reservation, allocations: tuple[Allocation, ...]
) -> OutboxMessage:
    order_id = claimed.order_id
    correlation_id = claimed.backorder.correlation_id if claimed.backorder else order_id
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
        claimed.reservation_id,
        allocations,
    )
