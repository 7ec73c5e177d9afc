"""Reserve an accepted order's stock in its market, all or nothing, once per order; an order the
market cannot fill is reported short or backordered, as the policy says."""

from dataclasses import replace

from conveyor_contracts.inventory import ShortLine, StockBackordered, StockShortage
from conveyor_contracts.orders import OrderAccepted
from conveyor_runtime.documents import ConcurrentUpdateError
from inventory.domain.allocation import Allocated, Short
from inventory.domain.reservation import Backorder, Reservation, ReservationStatus
from inventory.ports import Change
from inventory.usecases.context import Inventory
from inventory.usecases.emit import Reaction, reservation_id_for
from inventory.usecases.fill_backorders import fill_backorder
from inventory.usecases.holds import give_back, plan, reserved_event, settle, take

ATTEMPTS = 5  # re-allocations after losing a race for the last units, before asking for a retry


async def reserve_stock_on_order_accepted(event: OrderAccepted, inventory: Inventory) -> None:
    """A redelivery after the outcome is stored changes nothing (a backordered one only looks
    again whether stock arrived); one that finds the reservation half-taken by this same event
    (the process died) gives back what was taken and starts again."""
    reservations = inventory.reservations
    now = inventory.clock()
    reaction = Reaction(event, inventory.topics, now)
    rid = reservation_id_for(event.order_id)
    stored = await reservations.get(event.order_id)
    if stored is not None and stored.status is ReservationStatus.BACKORDERED:
        await fill_backorder(event.order_id, event, inventory)
        return
    if stored is not None and stored.status is not ReservationStatus.PENDING:
        return
    if stored is not None:
        if stored.claim not in (None, str(event.event_id)):
            return  # a receipt is filling this backorder; its own redelivery finishes it
        await give_back(inventory, event, stored.allocations, rid)
    lines: dict[str, int] = {}
    for line in event.lines:
        lines[line.sku] = lines.get(line.sku, 0) + line.quantity
    for _ in range(ATTEMPTS):
        outcome = await plan(inventory, lines, event.market)
        if isinstance(outcome, Short):
            await _unfillable(event, inventory, reaction, rid, lines, outcome)
            return
        assert isinstance(outcome, Allocated)
        pending = Reservation(
            event.order_id,
            rid,
            ReservationStatus.PENDING,
            outcome.allocations,
            claim=str(event.event_id),
            market=event.market,
        )
        # Record the plan before touching stock, so a crash leaves a trail to undo.
        if not await reservations.add(pending, []):
            await reservations.update(event.order_id, _planned(pending))
        if await take(inventory, event, outcome.allocations, rid):
            done = replace(pending, status=ReservationStatus.RESERVED)
            event_out = reserved_event(reaction.reservation_event, rid, outcome.allocations)
            await settle(reservations, done, event_out)
            return
        await give_back(inventory, event, outcome.allocations, rid)
    raise ConcurrentUpdateError(f"stock for {event.order_id} kept moving; retrying later")


async def _unfillable(
    event: OrderAccepted,
    inventory: Inventory,
    reaction: Reaction,
    rid: str,
    lines: dict[str, int],
    outcome: Short,
) -> None:
    short = tuple(
        ShortLine(sku=sku, requested=requested, available=has)
        for sku, requested, has in outcome.short_lines
    )
    if inventory.policy.unfillable == "shortage":
        await settle(
            inventory.reservations,
            Reservation(event.order_id, rid, ReservationStatus.SHORT, market=event.market),
            reaction.reservation_event(StockShortage, short_lines=short),
        )
        return
    deadline = reaction.now + inventory.policy.backorder_max_wait
    backorder = Backorder(
        lines=tuple(sorted(lines.items())),
        market=event.market,
        since=reaction.now,
        deadline=deadline,
        cause=str(event.event_id),
        correlation_id=event.correlation_id,
        short_lines=outcome.short_lines,
    )
    await settle(
        inventory.reservations,
        Reservation(
            event.order_id,
            rid,
            ReservationStatus.BACKORDERED,
            backorder=backorder,
            market=event.market,
        ),
        reaction.reservation_event(
            StockBackordered, short_lines=short, expected_by=deadline.date()
        ),
    )
    # A receipt applied between the snapshot above and storing the backorder did not see it:
    # look once more, now that every later receipt will.
    await fill_backorder(event.order_id, event, inventory)


def _planned(pending: Reservation) -> Change:
    return lambda current: (
        replace(
            current, allocations=pending.allocations, claim=pending.claim, market=pending.market
        ),
        [],
    )
