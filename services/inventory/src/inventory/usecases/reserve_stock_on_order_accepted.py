"""Reserve an accepted order's stock in its market, all or nothing, once per order."""

from dataclasses import replace
from datetime import UTC, datetime

from conveyor_contracts.inventory import (
    ShortLine,
    StockReserved,
    StockShortage,
    WarehouseAllocation,
)
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.values import StockLine
from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.allocation import Allocated, Allocation, allocate
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.domain.warehouses import Warehouse
from inventory.ports import Change, ReservationRepository, StockStore, Topics
from inventory.usecases.emit import Reaction, reservation_id_for

ATTEMPTS = 5  # re-allocations after losing a race for the last units, before asking for a retry


async def reserve_stock_on_order_accepted(
    event: OrderAccepted,
    stock: StockStore,
    reservations: ReservationRepository,
    warehouses: tuple[Warehouse, ...],
    topics: Topics,
) -> None:
    """A redelivery after the outcome is stored changes nothing; one that finds the reservation
    half-taken (the process died) gives back what was taken and starts again."""
    reaction = Reaction(event, topics, datetime.now(UTC))
    rid = reservation_id_for(event.order_id)
    stored = await reservations.get(event.order_id)
    if stored is not None and stored.status is not ReservationStatus.PENDING:
        return
    if stored is not None:
        await _give_back(stock, stored.allocations, rid)
    lines: dict[str, int] = {}
    for line in event.lines:
        lines[line.sku] = lines.get(line.sku, 0) + line.quantity
    for _ in range(ATTEMPTS):
        available = {
            (wh, sku): level.available
            for sku in lines
            for wh, level in (await stock.levels(sku)).items()
        }
        outcome = allocate(lines, event.market, warehouses, available)
        if not isinstance(outcome, Allocated):
            short = tuple(
                ShortLine(sku=sku, requested=requested, available=has)
                for sku, requested, has in outcome.short_lines
            )
            await _settle(
                reservations,
                Reservation(event.order_id, rid, ReservationStatus.SHORT),
                reaction.reservation_event(StockShortage, short_lines=short),
            )
            return
        pending = Reservation(event.order_id, rid, ReservationStatus.PENDING, outcome.allocations)
        # Record the plan before touching stock, so a crash leaves a trail to undo.
        if not await reservations.add(pending, []):
            await reservations.update(event.order_id, _planned(pending.allocations))
        if await _take(stock, outcome.allocations, rid):
            done = replace(pending, status=ReservationStatus.RESERVED)
            await _settle(reservations, done, _reserved(reaction, rid, outcome.allocations))
            return
        await _give_back(stock, outcome.allocations, rid)
    raise ConcurrentUpdateError(f"stock for {event.order_id} kept moving; retrying later")


def _planned(plan: tuple[Allocation, ...]) -> Change:
    return lambda current: (replace(current, allocations=plan), [])


async def _take(stock: StockStore, allocations: tuple[Allocation, ...], rid: str) -> bool:
    for allocation in allocations:
        for sku, units in allocation.lines:
            if not await stock.reserve(allocation.warehouse_id, sku, units, rid):
                return False
    return True


async def _give_back(stock: StockStore, allocations: tuple[Allocation, ...], rid: str) -> None:
    for allocation in allocations:
        for sku, _ in allocation.lines:
            await stock.release(allocation.warehouse_id, sku, rid)


async def _settle(
    reservations: ReservationRepository, outcome: Reservation, event: OutboxMessage
) -> None:
    if await reservations.add(outcome, [event]):
        return
    await reservations.update(outcome.order_id, lambda _: (outcome, [event]))


def _reserved(reaction: Reaction, rid: str, allocations: tuple[Allocation, ...]) -> OutboxMessage:
    wire = tuple(
        WarehouseAllocation(
            warehouse_id=a.warehouse_id,
            lines=tuple(StockLine(sku=sku, quantity=units) for sku, units in a.lines),
        )
        for a in allocations
    )
    return reaction.reservation_event(StockReserved, reservation_id=rid, allocations=wire)
