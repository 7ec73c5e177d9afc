"""Give a cancelled order's held stock back to available, once."""

from dataclasses import replace
from datetime import UTC, datetime

from conveyor_contracts.inventory import StockReleased
from conveyor_contracts.orders import OrderCancelled
from conveyor_runtime.outbox import OutboxMessage
from inventory.domain.reservation import Reservation, ReservationStatus
from inventory.ports import ReservationRepository, StockStore, Topics
from inventory.usecases.emit import Reaction

_HOLDING = (ReservationStatus.PENDING, ReservationStatus.RESERVED)


async def release_stock_on_order_cancelled(
    event: OrderCancelled, stock: StockStore, reservations: ReservationRepository, topics: Topics
) -> None:
    """Warehouses whose units already left with the carrier keep them committed: after pickup a
    cancellation comes back as a return, which restocks instead."""
    stored = await reservations.get(event.order_id)
    if stored is None or stored.status not in _HOLDING:
        return
    for allocation in stored.allocations:
        if allocation.warehouse_id in stored.committed:
            continue
        for sku, _ in allocation.lines:
            # Idempotent per hold, so a crash between documents is finished by the redelivery.
            await stock.release(allocation.warehouse_id, sku, stored.reservation_id)
    reaction = Reaction(event, topics, datetime.now(UTC))
    released = reaction.reservation_event(
        StockReleased, reservation_id=stored.reservation_id, reason="order_cancelled"
    )

    def mark(current: Reservation) -> tuple[Reservation, list[OutboxMessage]]:
        if current.status not in _HOLDING:
            return current, []
        return replace(current, status=ReservationStatus.RELEASED), [released]

    await reservations.update(event.order_id, mark)
