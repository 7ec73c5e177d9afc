"""Show the buyer an order delayed when shipping forecasts a parcel past the promise."""

from conveyor_contracts.shipping import ShipmentDelayed
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outlet import Cause
from orders.domain.events import OrderEvent, already_applied, buyer_view_changes, remembered
from orders.domain.order import Order
from orders.domain.transitions import on_delay
from orders.ports import OrderRepository


async def delay_order_on_shipment_delayed(event: ShipmentDelayed, orders: OrderRepository) -> None:
    """The buyer is told ``delayed`` once, while the order is on its way; a redelivery, or
    another parcel's forecast, changes nothing."""
    cause = Cause.of(event)

    def change(order: Order) -> tuple[Order, list[OrderEvent]]:
        if already_applied(order, event.event_id):
            return order, []
        after = remembered(on_delay(order, event), event.event_id)
        return after, buyer_view_changes(order, after)

    if await orders.update(event.order_id, change, cause) is None:
        raise PermanentError(f"{event.event_type} for an order orders does not know")
