"""Move an order on support's after-sales decisions: return authorised, refund requested."""

from datetime import UTC, datetime

from conveyor_contracts.support import RefundEvent, SupportCaseEvent
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order
from orders.domain.transitions import on_after_sales
from orders.ports import OrderRepository, Topics
from orders.usecases.emit import Reaction, already_applied, remembered


async def progress_order_on_after_sales(
    event: SupportCaseEvent | RefundEvent, orders: OrderRepository, topics: Topics
) -> None:
    reaction = Reaction(event, topics, datetime.now(UTC))

    def change(order: Order) -> tuple[Order, list[OutboxMessage]]:
        if already_applied(order, reaction):
            return order, []
        after = remembered(on_after_sales(order, event, reaction.now), reaction)
        return after, reaction.status_changes(order, after)

    if await orders.update(event.order_id, change) is None:
        raise PermanentError(f"{event.event_type} for an order orders does not know")
