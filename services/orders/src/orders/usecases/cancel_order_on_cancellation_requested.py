"""Cancel an order the checkout asks to cancel, while no parcel has been picked up yet."""

from datetime import UTC, datetime

from conveyor_contracts.checkout import OrderCancellationRequested
from conveyor_contracts.orders import OrderCancellationRefused, OrderCancelled
from conveyor_contracts.support import CaseCancellationRequested
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order, OrderStatus, moved_to
from orders.ports import OrderRepository, Topics
from orders.usecases.emit import Reaction, already_applied, remembered


async def cancel_order_on_cancellation_requested(
    event: OrderCancellationRequested | CaseCancellationRequested,
    orders: OrderRepository,
    topics: Topics,
) -> None:
    """Before pickup: ``OrderCancelled`` (inventory releases, shipping cancels the booking).

    After pickup, or when already final: ``OrderCancellationRefused`` with the reason.
    """
    reaction = Reaction(event, topics, datetime.now(UTC))

    def change(order: Order) -> tuple[Order, list[OutboxMessage]]:
        if already_applied(order, reaction):
            return order, []
        refusal = refusal_reason(order.status)
        if refusal is not None:
            return remembered(order, reaction), [
                reaction.lifecycle(OrderCancellationRefused, reason=refusal)
            ]
        after = remembered(
            moved_to(order, OrderStatus.CANCELLED, reaction.now, event.event_id), reaction
        )
        cancelled = reaction.lifecycle(OrderCancelled, reason=event.reason, stage="before_pickup")
        return after, [cancelled, *reaction.status_changes(order, after)]

    if await orders.update(event.order_id, change) is None:
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
