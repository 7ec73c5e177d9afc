"""Give a cancelled order's held stock back to available, once; drop it if it was backordered."""

from dataclasses import replace

from conveyor_contracts.inventory import StockReleased
from conveyor_contracts.orders import OrderCancelled
from conveyor_runtime.documents import ConcurrentUpdateError
from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.usecases.context import Inventory
from inventory.usecases.emit import Reaction

_HOLDING = (ReservationStatus.PENDING, ReservationStatus.RESERVED)


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
        await inventory.reservations.update(event.order_id, _dropped)
        return
    if stored.status not in _HOLDING:
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
    reaction = Reaction(event, inventory.topics, inventory.clock())
    released = reaction.reservation_event(
        StockReleased, reservation_id=stored.reservation_id, reason="order_cancelled"
    )

    def mark(current: Reservation) -> tuple[Reservation, list[OutboxMessage]]:
        if current.status not in _HOLDING:
            return current, []
        if current.status is not stored.status or current.allocations != stored.allocations:
            # A backorder fill settled or re-planned after the holds above were given back:
            # start over from what is stored now.
            raise ConcurrentUpdateError(event.order_id)
        return replace(current, status=ReservationStatus.RELEASED), [released]

    await inventory.reservations.update(event.order_id, mark)


def _dropped(current: Reservation) -> tuple[Reservation, list[OutboxMessage]]:
    if current.status in _HOLDING:
        # A receipt claimed it since it was read: retry, and release what it holds then.
        raise ConcurrentUpdateError(current.order_id)
    if current.status is not ReservationStatus.BACKORDERED:
        return current, []  # expired or dropped meanwhile
    return replace(current, status=ReservationStatus.DROPPED), []
