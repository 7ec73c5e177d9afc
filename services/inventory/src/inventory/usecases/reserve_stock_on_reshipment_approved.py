"""A support case approved sending lines again: reserve them for the order as a new reservation,
once per case, with the allocation rules of an accepted order; never backordered.

The reservation id derives from the case id and the reservation is stored under its own key
(``reshipment_key``), next to the order's own reservation, whose market it reuses. As for an
accepted order, the plan is recorded (``pending``) before stock is touched, a redelivery that
finds it pending gives back what was taken and starts again, and one that finds it settled
(``reserved`` or ``short``) changes nothing. What the market cannot cover is reported
``StockShortage`` at once, whatever the unfillable policy.
"""

from dataclasses import replace
from typing import Any

from conveyor_contracts.inventory import ShortLine, StockShortage
from conveyor_contracts.support import ReshipmentApproved
from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.allocation import Allocated, Short
from inventory.domain.reservation import (
    Reservation,
    ReservationStatus,
    market_of,
    reshipment_key,
)
from inventory.ports import Change
from inventory.usecases.context import Inventory
from inventory.usecases.emit import Reaction, reservation_id_for_case
from inventory.usecases.holds import give_back, plan, reserved_event, settle, take

ATTEMPTS = 5  # re-allocations after losing a race for the last units, before asking for a retry


async def reserve_stock_on_reshipment_approved(
    event: ReshipmentApproved, inventory: Inventory
) -> None:
    reservations = inventory.reservations
    rid = reservation_id_for_case(event.case_id)
    key = reshipment_key(rid)
    stored = await reservations.get(key)
    if stored is not None and stored.status is not ReservationStatus.PENDING:
        return
    original = await reservations.get(event.order_id)
    market = None if original is None else market_of(original, inventory.policy.warehouses)
    if market is None:
        raise PermanentError(
            f"reshipment of case {event.case_id}: the market of order {event.order_id} is unknown"
        )
    if stored is not None:
        # An earlier attempt of this case died half-way: undo it and start again.
        await give_back(inventory, event, stored.allocations, rid)
    lines: dict[str, int] = {}
    for line in event.lines:
        lines[line.sku] = lines.get(line.sku, 0) + line.quantity
    reaction = Reaction(event, inventory.topics, inventory.clock())

    def build(event_type: Any, **fields: Any) -> OutboxMessage:
        return reaction.reservation_event(event_type, case_id=event.case_id, **fields)

    for _ in range(ATTEMPTS):
        outcome = await plan(inventory, lines, market)
        if isinstance(outcome, Short):
            short = tuple(
                ShortLine(sku=sku, requested=requested, available=has)
                for sku, requested, has in outcome.short_lines
            )
            await settle(
                reservations,
                Reservation(
                    event.order_id,
                    rid,
                    ReservationStatus.SHORT,
                    market=market,
                    case_id=event.case_id,
                ),
                reaction.reservation_event(StockShortage, short_lines=short),
            )
            return
        assert isinstance(outcome, Allocated)
        pending = Reservation(
            event.order_id,
            rid,
            ReservationStatus.PENDING,
            outcome.allocations,
            claim=str(event.event_id),
            market=market,
            case_id=event.case_id,
        )
        # Record the plan before touching stock, so a crash leaves a trail to undo.
        if not await reservations.add(pending, []):
            await reservations.update(key, _planned(pending))
        if await take(inventory, event, outcome.allocations, rid):
            done = replace(pending, status=ReservationStatus.RESERVED)
            await settle(reservations, done, reserved_event(build, rid, outcome.allocations))
            return
        await give_back(inventory, event, outcome.allocations, rid)
    raise ConcurrentUpdateError(f"stock for reshipment {event.case_id} kept moving; retrying later")


def _planned(pending: Reservation) -> Change:
    return lambda current: (
        replace(current, allocations=pending.allocations, claim=pending.claim),
        [],
    )
