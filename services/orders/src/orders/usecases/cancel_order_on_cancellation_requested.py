"""Cancel an order the checkout asks to cancel, while no parcel has been picked up yet."""

from conveyor_contracts.checkout import OrderCancellationRequested
from conveyor_contracts.support import CaseCancellationRequested
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outlet import Cause
from orders.domain.events import (
    CancellationRefused,
    Cancelled,
    OrderEvent,
    already_applied,
    buyer_view_changes,
    remembered,
)
from orders.domain.order import Order, OrderStatus
from orders.domain.transitions import closed
from orders.ports import OrderRepository


async def cancel_order_on_cancellation_requested(
    event: OrderCancellationRequested | CaseCancellationRequested, orders: OrderRepository
) -> None:
    """Before pickup: ``OrderCancelled`` (inventory releases, shipping cancels the booking).

    After pickup, or when already final: ``OrderCancellationRefused`` with the reason.
    """
    cause = Cause.of(event)

    def change(order: Order) -> tuple[Order, list[OrderEvent]]:
        if already_applied(order, event.event_id):
            return order, []
        refusal = refusal_reason(order.status)
        if refusal is not None:
            return remembered(order, event.event_id), [CancellationRefused(order.order_id, refusal)]
        moved = closed(order, OrderStatus.CANCELLED, cause.at, event.event_id, event.reason)
        after = remembered(moved, event.event_id)
        return after, [Cancelled(order.order_id, event.reason), *buyer_view_changes(order, after)]

    if await orders.update(event.order_id, change, cause) is None:
        # Keyed by order id, OrderPlaced comes first on the checkout topic; a case names an
        # order support learnt of from orders, so an unknown one is a producer bug either way.
        raise PermanentError("cancellation requested for an order orders does not know")


def refusal_reason(status: OrderStatus) -> str | None:
    if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        return "already_cancelled"
    if status >= OrderStatus.DELIVERED:
        return "already_delivered"  # a return, not a cancellation, undoes it now
    if not status.before_pickup:
        return "already_shipped"
    return None
