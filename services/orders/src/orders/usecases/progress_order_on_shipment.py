"""Move an order on what shipping reports about its parcels, up to delivered."""

from conveyor_contracts.shipping import ShipmentEvent
from conveyor_contracts.shipping.booking import ShipmentBookingFailed
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outlet import Cause
from orders.domain.events import (
    Cancelled,
    OrderEvent,
    already_applied,
    buyer_view_changes,
    remembered,
)
from orders.domain.order import Order
from orders.domain.transitions import on_shipment
from orders.ports import OrderRepository


async def progress_order_on_shipment(event: ShipmentEvent, orders: OrderRepository) -> None:
    cause = Cause.of(event)

    def change(order: Order) -> tuple[Order, list[OrderEvent]]:
        if already_applied(order, event.event_id):
            return order, []
        after = remembered(on_shipment(order, event, cause.at), event.event_id)
        events = buyer_view_changes(order, after)
        if isinstance(event, ShipmentBookingFailed) and after.status is not order.status:
            # No carrier will take it: cancel, so inventory releases the stock.
            events.insert(0, Cancelled(order.order_id, "no_carrier_available"))
        return after, events

    if await orders.update(event.order_id, change, cause) is None:
        raise PermanentError(f"{event.event_type} for an order orders does not know")
