"""Move an order on what inventory reports: reserved, backordered, or short of stock."""

from datetime import UTC, datetime

from conveyor_contracts.inventory import ReservationEvent
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order
from orders.domain.transitions import on_reservation
from orders.ports import OrderRepository, Topics
from orders.usecases.emit import Reaction, already_applied, remembered


async def progress_order_on_reservation(
    event: ReservationEvent, orders: OrderRepository, topics: Topics
) -> None:
    reaction = Reaction(event, topics, datetime.now(UTC))

    def change(order: Order) -> tuple[Order, list[OutboxMessage]]:
        if already_applied(order, reaction):
            return order, []
        after = remembered(on_reservation(order, event, reaction.now), reaction)
        return after, reaction.status_changes(order, after)

    if await orders.update(event.order_id, change) is None:
        raise PermanentError(f"{event.event_type} for an order orders does not know")
