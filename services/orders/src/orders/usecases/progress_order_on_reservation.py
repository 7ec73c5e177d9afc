"""Move an order on what inventory reports: reserved, backordered, or short of stock."""

from conveyor_contracts.inventory import ReservationEvent
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outlet import Cause
from orders.domain.events import OrderEvent, already_applied, buyer_view_changes, remembered
from orders.domain.order import Order
from orders.domain.transitions import on_reservation
from orders.ports import OrderRepository


async def progress_order_on_reservation(event: ReservationEvent, orders: OrderRepository) -> None:
    cause = Cause.of(event)

    def change(order: Order) -> tuple[Order, list[OrderEvent]]:
        if already_applied(order, event.event_id):
            return order, []
        after = remembered(on_reservation(order, event, cause.at), event.event_id)
        return after, buyer_view_changes(order, after)

    if await orders.update(event.order_id, change, cause) is None:
        raise PermanentError(f"{event.event_type} for an order orders does not know")
