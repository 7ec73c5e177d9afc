"""Support authorised a return: ask a carrier to collect it from the buyer for the warehouse."""

from conveyor_contracts.support import ReturnAuthorised
from conveyor_runtime.outlet import Cause
from shipping.domain.fulfilment import on_return_authorised, return_pickup
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, upsert


async def book_return_on_return_authorised(event: ReturnAuthorised, shipping: Shipping) -> None:
    cause = Cause(event.event_id, shipping.clock())
    pickup = return_pickup(event, cause.at)
    await upsert(
        shipping,
        event.order_id,
        event.correlation_id,
        lambda fulfilment: on_return_authorised(fulfilment, event.event_id, pickup),
        cause,
    )
    await book_waiting_shipments(event.order_id, shipping)
