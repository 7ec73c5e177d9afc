"""Reserve an accepted order's stock in its market, all or nothing, once per order; an order the
market cannot fill is reported short or backordered, as the policy says."""

from conveyor_contracts.orders import OrderAccepted
from conveyor_runtime.outlet import Cause
from inventory.domain.allocation import Short
from inventory.domain.changes import put_on_backorder, report_short
from inventory.domain.reservation import (
    Backorder,
    Reservation,
    ReservationStatus,
    opened,
    reservation_id_for,
)
from inventory.usecases.context import Inventory
from inventory.usecases.fill_backorders import fill_backorder
from inventory.usecases.holds import give_back, settle
from inventory.usecases.reserve import NewReservation, reserve, sellers_of, wanted


async def reserve_stock_on_order_accepted(event: OrderAccepted, inventory: Inventory) -> None:
    """A redelivery after the outcome is stored changes nothing (a backordered one only looks
    again whether stock arrived); one that finds the reservation half-taken by this same event
    (the process died) gives back what was taken and starts again."""
    cause = inventory.cause(event)
    rid, claim = reservation_id_for(event.order_id), str(event.event_id)
    stored = await inventory.reservations.get(event.order_id)
    if stored is not None and stored.status is ReservationStatus.BACKORDERED:
        await fill_backorder(event.order_id, event, inventory)
        return
    if stored is not None:
        if stored.status is not ReservationStatus.PENDING:
            return  # settled already
        if stored.claim not in (None, claim):
            return  # a receipt is filling this backorder; its own redelivery finishes it
        # This event's earlier attempt died half-way: undo it and start again.
        await give_back(inventory, event, stored.allocations, rid)
    order = opened(event.order_id, rid, event.market)
    lines = wanted(event.lines)
    ledger = NewReservation(inventory.reservations, order, claim, cause)
    sellers = sellers_of(event.lines)
    outcome = await reserve(inventory, event, lines, event.market, ledger, event.order_id, sellers)
    if isinstance(outcome, Short):
        await _unfillable(event, inventory, cause, order, lines, outcome)


async def _unfillable(
    event: OrderAccepted,
    inventory: Inventory,
    cause: Cause,
    order: Reservation,
    lines: dict[str, int],
    outcome: Short,
) -> None:
    if inventory.policy.unfillable == "shortage":
        await settle(inventory.reservations, cause, *report_short(order, outcome.short_lines))
        return
    deadline = cause.at + inventory.policy.backorder_max_wait
    backorder = Backorder(
        lines=tuple(sorted(lines.items())),
        market=event.market,
        since=cause.at,
        deadline=deadline,
        cause=str(event.event_id),
        correlation_id=event.correlation_id,
        short_lines=outcome.short_lines,
        sellers=tuple(sorted(sellers_of(event.lines).items())),
    )
    await settle(inventory.reservations, cause, *put_on_backorder(order, backorder))
    # A receipt applied between the snapshot above and storing the backorder did not see it:
    # look once more, now that every later receipt will.
    await fill_backorder(event.order_id, event, inventory)
