"""Move an order on what shipping reports about its parcels, up to delivered."""

from datetime import UTC, datetime

from conveyor_contracts.orders import OrderCancelled
from conveyor_contracts.shipping import ShipmentEvent
from conveyor_contracts.shipping.booking import ShipmentBookingFailed
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order
from orders.domain.transitions import on_shipment
from orders.ports import OrderRepository, Topics
from orders.usecases.emit import Reaction, already_applied, remembered


async def progress_order_on_shipment(
    event: ShipmentEvent, orders: OrderRepository, topics: Topics
) -> None:
    reaction = Reaction(event, topics, datetime.now(UTC))

    def change(order: Order) -> tuple[Order, list[OutboxMessage]]:
        if already_applied(order, reaction):
            return order, []
        after = remembered(on_shipment(order, event, reaction.now), reaction)
        events = reaction.status_changes(order, after)
        if isinstance(event, ShipmentBookingFailed) and after.status is not order.status:
            # No carrier will take it: cancel, so inventory releases the stock.
            events.insert(
                0,
                reaction.lifecycle(
                    OrderCancelled, reason="no_carrier_available", stage="before_pickup"
                ),
            )
        return after, events

    if await orders.update(event.order_id, change) is None:
        raise PermanentError(f"{event.event_type} for an order orders does not know")
