"""Keep what shipping needs of an order, and plan one shipment per reserved warehouse.

The order's details (``OrderAccepted``) and its reservation (``StockReserved``) come on two
topics, so either may come first; booking starts once both are in.
"""

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_runtime.outlet import Cause
from shipping.domain.fulfilment import details_of, on_order_accepted, on_stock_reserved
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, upsert


async def record_order_on_order_accepted(event: OrderAccepted, shipping: Shipping) -> None:
    details = details_of(event)
    # No correlation id of its own: what the order emits carries the order's (this event's,
    # when it is the order's first fact).
    cause = Cause(event.event_id, shipping.clock())
    await upsert(
        shipping,
        event.order_id,
        event.correlation_id,
        lambda fulfilment: on_order_accepted(fulfilment, details),
        cause,
    )
    await book_waiting_shipments(event.order_id, shipping)


async def plan_shipments_on_stock_reserved(event: StockReserved, shipping: Shipping) -> None:
    cause = Cause(event.event_id, shipping.clock())
    await upsert(
        shipping,
        event.order_id,
        event.correlation_id,
        lambda fulfilment: on_stock_reserved(fulfilment, event, cause.at),
        cause,
    )
    await book_waiting_shipments(event.order_id, shipping)
