"""Fill backordered orders when stock arrives: each whole, as a fresh allocation would, once.

A fill claims the backorder (BACKORDERED -> PENDING, with the causing event's id as ``claim``)
in one versioned update before touching stock, so a cancellation, the expiry timer or another
receipt's fill never acts on it at the same time. Whoever took holds and then fails to settle
(the order was cancelled meanwhile) gives them back. A fill that died half-way is finished by the
redelivery of the event that claimed it; any other event leaves a claimed backorder alone.
"""

from dataclasses import dataclass

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.outlet import Cause
from inventory.domain.allocation import Allocation
from inventory.domain.changes import reserve_held, silently
from inventory.domain.reservation import (
    Reservation,
    ReservationStatus,
    claimed,
    held_by,
    unclaimed,
)
from inventory.ports import ReservationRepository
from inventory.usecases.context import Inventory
from inventory.usecases.holds import give_back
from inventory.usecases.reserve import reserve


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
    # The order's events keep the correlation it was backordered in, whatever fills it.
    by = Cause(cause.event_id, inventory.clock())
    among_several = getattr(cause, "order_id", None) != order_id
    fill = BackorderFill(inventory.reservations, order_id, str(cause.event_id), by, among_several)
    stored = await inventory.reservations.get(order_id)
    if stored is None or stored.backorder is None:
        return False
    backorder = stored.backorder
    if not await _claimable(stored, cause, inventory, fill):
        return False
    if inventory.clock() >= backorder.deadline:
        return False  # past its bound: the timer reports it short
    subject = f"backorder {order_id}"
    outcome = await reserve(
        inventory, cause, backorder.lines, backorder.market, fill, subject, dict(backorder.sellers)
    )
    return isinstance(outcome, Reservation)


@dataclass(frozen=True)
class BackorderFill:
    """The ledger of a fill: the backorder is claimed in the versioned update that stores the plan,
    and every later write applies only while the claim holds."""

    reservations: ReservationRepository
    order_id: str
    claim: str
    cause: Cause
    among_several: bool  # not the order's own event: it may fill several orders

    async def store_plan(self, allocations: tuple[Allocation, ...]) -> Reservation | None:
        stored = await self.reservations.update(
            self.order_id,
            silently(lambda current: claimed(current, self.claim, allocations)),
            self.cause,
        )
        if stored is None or not held_by(stored, self.claim):
            return None  # cancelled, expired or filled meanwhile
        return stored

    async def store_reserved(
        self, pending: Reservation, allocations: tuple[Allocation, ...]
    ) -> Reservation | None:
        stored = await self.reservations.update(
            self.order_id,
            lambda current: reserve_held(current, self.claim, allocations, self.among_several),
            self.cause,
        )
        if stored is None or stored.status is not ReservationStatus.RESERVED:
            return None  # cancelled while the holds were taken
        return stored

    async def gave_back(self) -> None:
        await self.reservations.update(
            self.order_id, silently(lambda current: unclaimed(current, self.claim)), self.cause
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
