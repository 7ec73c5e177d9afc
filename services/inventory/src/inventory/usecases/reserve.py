"""The one reservation loop: plan, store the plan, take the holds, then settle or give them back.

An accepted order, an approved reshipment and a backorder's fill all reserve this way; they differ
only in how their reservation is written (their ``Ledger``). The order of the writes is the point:
the plan is stored (pending) before any stock is held, so a process that dies half-way leaves a
trail whose allocations the next attempt gives back; the holds are taken all or nothing; a race
lost for the last units gives back what was taken and plans again from a fresh snapshot, at most
``ATTEMPTS`` times, then asks for a retry (the snapshot said the stock was there, so it is not
reported short).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.outlet import Cause
from inventory.domain.allocation import Allocation, Short
from inventory.domain.changes import reserve_held, silently
from inventory.domain.reservation import Reservation, planned
from inventory.ports import ReservationRepository
from inventory.usecases.context import Inventory
from inventory.usecases.holds import give_back, plan, settle, take

ATTEMPTS = 5  # re-allocations after losing a race for the last units, before asking for a retry

Wanted = dict[str, int] | tuple[tuple[str, int], ...]  # units per SKU


class Ledger(Protocol):
    """How one path writes its reservation as the loop goes."""

    async def store_plan(self, allocations: tuple[Allocation, ...]) -> Reservation | None:
        """Store the plan before any stock is touched; the pending reservation to take it under,
        or None when it is no longer this attempt's to take (nothing is taken then)."""
        ...

    async def store_reserved(
        self, pending: Reservation, allocations: tuple[Allocation, ...]
    ) -> Reservation | None:
        """Store the outcome with its StockReserved; None when it did not stick (the loop then
        gives the holds back: nothing may stay held for it)."""
        ...

    async def gave_back(self) -> None:
        """A lost race's holds went back: undo what ``store_plan`` stored, if anything needs it."""
        ...


async def reserve(
    inventory: Inventory,
    cause: Envelope,
    lines: Wanted,
    market: str,
    ledger: Ledger,
    subject: str,
    sellers: Mapping[str, str] | None = None,
) -> Reservation | Short | None:
    """Reserve ``lines`` in ``market`` for ``cause``, all or nothing: the reservation as reserved
    now; the shortfall when the market cannot cover the lines (nothing is taken or stored for it
    then: the caller settles it); None when the reservation stopped being this cause's to take.
    ``subject`` names what is reserved in the retry's error; ``sellers`` the sellers the lines
    named, by SKU."""
    for _ in range(ATTEMPTS):
        outcome = await plan(inventory, lines, market, sellers)
        if isinstance(outcome, Short):
            return outcome
        # The plan is stored before stock is touched, so a crash leaves a trail to undo.
        pending = await ledger.store_plan(outcome.allocations)
        if pending is None:
            return None
        rid = pending.reservation_id
        if await take(inventory, cause, outcome.allocations, rid):
            done = await ledger.store_reserved(pending, outcome.allocations)
            if done is None:
                # Cancelled while the holds were taken: nothing may stay held for it.
                await give_back(inventory, cause, outcome.allocations, rid)
            return done
        await give_back(inventory, cause, outcome.allocations, rid)
        await ledger.gave_back()
    raise ConcurrentUpdateError(f"stock for {subject} kept moving; retrying later")


@dataclass(frozen=True)
class NewReservation:
    """The ledger of a reservation its cause creates and owns (an accepted order's, an approved
    reshipment's): the plan is added, or written over the half-taken one a redelivery found, and
    each outcome replaces whatever is stored."""

    reservations: ReservationRepository
    opened: Reservation  # its ids, market and case; nothing planned yet
    claim: str
    cause: Cause

    async def store_plan(self, allocations: tuple[Allocation, ...]) -> Reservation:
        market = self.opened.market
        pending = planned(self.opened, self.claim, allocations, market)
        if not await self.reservations.add(pending, [], self.cause):
            await self.reservations.update(
                pending.key,
                silently(lambda current: planned(current, self.claim, allocations, market)),
                self.cause,
            )
        return pending

    async def store_reserved(
        self, pending: Reservation, allocations: tuple[Allocation, ...]
    ) -> Reservation:
        done, events = reserve_held(pending, self.claim, allocations)
        await settle(self.reservations, self.cause, done, events)
        return done

    async def gave_back(self) -> None:
        """Nothing to undo: the next plan is written over this one."""


class Line(Protocol):
    @property
    def sku(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def seller_id(self) -> str | None: ...


def wanted(lines: Iterable[Line]) -> dict[str, int]:
    """Units per SKU, lines of one SKU added up."""
    units: dict[str, int] = {}
    for line in lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def sellers_of(lines: Iterable[Line]) -> dict[str, str]:
    """The seller each SKU's lines named, where one did."""
    return {line.sku: line.seller_id for line in lines if line.seller_id is not None}
