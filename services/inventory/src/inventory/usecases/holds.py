"""Taking and giving back an allocation's holds on stock, all or nothing, with stock events."""

from collections.abc import Mapping, Sequence

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.outlet import Cause
from inventory.domain.allocation import Allocated, Allocation, Short, allocate, with_sellers
from inventory.domain.events import ReservationEvent
from inventory.domain.reservation import Reservation
from inventory.domain.warehouses import serving
from inventory.ports import ReservationRepository
from inventory.usecases.context import Inventory


async def plan(
    inventory: Inventory,
    lines: dict[str, int] | tuple[tuple[str, int], ...],
    market: str,
    sellers: Mapping[str, str] | None = None,
) -> Allocated | Short:
    """Allocate from a fresh snapshot of the available stock of the lines' SKUs in the
    market's warehouses; each allocated line says whose goods it holds (``with_sellers``: the
    stock's seller, else the one ``sellers`` names for its SKU)."""
    wanted = dict(lines)
    warehouses = [w.warehouse_id for w in serving(market, inventory.policy.warehouses)]
    shelves = await inventory.stock.shelves_in(warehouses, wanted)
    available = {key: shelf.level.available for key, shelf in shelves.items()}
    outcome = allocate(wanted, market, inventory.policy.warehouses, available)
    if isinstance(outcome, Short):
        return outcome
    stocked = {key: shelf.seller_id for key, shelf in shelves.items() if shelf.seller_id}
    return Allocated(with_sellers(outcome.allocations, sellers or {}, stocked))


async def take(
    inventory: Inventory, cause: Envelope, allocations: tuple[Allocation, ...], rid: str
) -> bool:
    """Hold every allocated line under ``rid``; False as soon as one cannot be held."""
    emit = inventory.stock_events(cause, "reserved")
    for allocation in allocations:
        for sku, units in allocation.lines:
            if not await inventory.stock.reserve(allocation.warehouse_id, sku, units, rid, emit):
                return False
    return True


async def give_back(
    inventory: Inventory, cause: Envelope, allocations: tuple[Allocation, ...], rid: str
) -> None:
    """Release whatever ``rid`` holds of these allocations (idempotent per hold)."""
    emit = inventory.stock_events(cause, "released")
    for allocation in allocations:
        for sku, _ in allocation.lines:
            await inventory.stock.release(allocation.warehouse_id, sku, rid, emit)


async def settle(
    reservations: ReservationRepository,
    cause: Cause,
    outcome: Reservation,
    events: Sequence[ReservationEvent],
) -> None:
    """Store ``outcome`` with its events, over the pending reservation if there is one."""
    if await reservations.add(outcome, events, cause):
        return
    await reservations.update(outcome.key, lambda _: (outcome, events), cause)
