"""Give a cancelled order's held stock back to available, once; drop it if it was backordered."""

from conveyor_contracts.orders import OrderCancelled
from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.outlet import Cause
from inventory.domain.changes import HOLDING, ReservationMovedError, drop, release
from inventory.domain.reservation import ReservationStatus
from inventory.ports import Change
from inventory.usecases.context import Inventory


async def release_stock_on_order_cancelled(event: OrderCancelled, inventory: Inventory) -> None:
    """Warehouses whose units already left with the carrier keep them committed (a parcel the
    carrier collected just before the cancellation is recalled, and comes back as a return,
    which restocks instead); ``StockReleased`` says only that something was released. A
    backorder held nothing: it is dropped without an event, and no later receipt reserves for
    it."""
    stored = await inventory.reservations.get(event.order_id)
    if stored is None:
        return
    if stored.status is ReservationStatus.BACKORDERED:
        await _update(inventory, event.order_id, drop, inventory.cause(event))
        return
    if stored.status not in HOLDING:
        return
    held = [a for a in stored.allocations if a.warehouse_id not in stored.committed]
    if stored.status is ReservationStatus.RESERVED and not held:
        # Every parcel left before orders heard of the pickup and accepted the cancellation:
        # nothing is held any more, so nothing is released (shipping recalls the parcels and
        # their return restocks the units).
        return
    emit = inventory.stock_events(event, "released")
    for allocation in held:
        for sku, _ in allocation.lines:
            # Idempotent per hold, so a crash between documents is finished by the redelivery.
            # The parcel may be on a truck already, its dispatch not yet heard of: may_ship.
            await inventory.stock.release(
                allocation.warehouse_id, sku, stored.reservation_id, emit, may_ship=True
            )
    # Released; unless a backorder fill settled or re-planned it after the holds above were
    # given back: then it starts over from what is stored now.
    await _update(
        inventory, event.order_id, lambda current: release(current, stored), inventory.cause(event)
    )


async def _update(inventory: Inventory, order_id: str, change: Change, cause: Cause) -> None:
    """``change`` stored; a retry of the whole use case when what is stored moved on under it."""
    try:
        await inventory.reservations.update(order_id, change, cause)
    except ReservationMovedError as moved:
        raise ConcurrentUpdateError(order_id) from moved
