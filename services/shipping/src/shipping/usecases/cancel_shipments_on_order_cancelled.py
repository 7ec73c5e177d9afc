"""An order is cancelled: cancel bookings not yet collected, recall parcels already on their way.

Inventory releases the reserved stock on the same ``OrderCancelled``; shipping only deals with
the carriers.
"""

from conveyor_contracts.orders import OrderCancelled
from conveyor_runtime.outlet import Cause
from shipping.domain.fulfilment import on_order_cancelled
from shipping.usecases.context import Shipping, freeing_slots, give_back, upsert


async def cancel_shipments_on_order_cancelled(event: OrderCancelled, shipping: Shipping) -> None:
    cause = Cause(event.event_id, shipping.clock())
    noting, freed = freeing_slots(lambda fulfilment: on_order_cancelled(fulfilment, event.event_id))
    await upsert(shipping, event.order_id, event.correlation_id, noting, cause)
    await give_back(freed, shipping)  # bookings cancelled before pickup
