"""Accept (or reject, with every reason) an order the checkout placed, once per order id."""

import hashlib
from datetime import datetime

from conveyor_contracts.checkout import OrderPlaced
from conveyor_runtime.logs import current_trace_id
from conveyor_runtime.outlet import Cause
from orders.domain.events import Accepted, OrderEvent, Rejected, buyer_view_changes
from orders.domain.order import Order, OrderLine, OrderStatus, StatusChange
from orders.domain.promise import Promise, PromisePolicy, promise_for
from orders.domain.validation import Problem, problems_of
from orders.ports import OrderRepository

# Envelope fields differ between two publishes of the same order; the content does not.
_ENVELOPE = {"event_id", "occurred_at", "causation_id", "producer"}


def content_hash(event: OrderPlaced) -> str:
    return hashlib.sha256(event.model_dump_json(exclude=_ENVELOPE).encode()).hexdigest()


async def accept_order_on_order_placed(
    event: OrderPlaced, orders: OrderRepository, policy: PromisePolicy | None = None
) -> None:
    """Store the order as accepted or rejected, with its events in the order's outbox.

    An accepted order is promised a dispatch-by and a delivery window (``policy``'s calendar
    and days), once. A redelivered ``OrderPlaced`` (same content) changes nothing. A different
    order re-using an existing id is rejected without touching the stored order.
    """
    cause = Cause.of(event)
    problems = tuple(problems_of(event))
    if problems:
        order = new_order(event, cause.at, OrderStatus.REJECTED)
        decided: OrderEvent = Rejected(event.order_id, problems)
    else:
        promise = promise_for(
            policy or PromisePolicy(), event.market, event.service_level, cause.at
        )
        order = new_order(event, cause.at, OrderStatus.ACCEPTED, promise)
        decided = Accepted(event, promise)
    reason = problems[0].detail if problems else None
    if await orders.add(order, [decided, *buyer_view_changes(None, order, reason)], cause):
        return
    await orders.update(event.order_id, lambda stored: refuse_reused_id(stored, event), cause)


def new_order(
    event: OrderPlaced, at: datetime, status: OrderStatus, promise: Promise | None = None
) -> Order:
    return Order(
        order_id=event.order_id,
        market=event.market,
        currency=event.currency,
        lines=tuple(
            OrderLine(line.sku, line.quantity, line.unit_price.amount_minor, line.seller_id)
            for line in event.lines
        ),
        status=status,
        history=(StatusChange(status, at, event.event_id),),
        placed_event_id=event.event_id,
        content_hash=content_hash(event),
        applied=(str(event.event_id),),
        trace_id=current_trace_id(),  # the span handling this OrderPlaced
        dispatch_by=promise.dispatch_by if promise else None,
        promised_delivery=promise.delivery if promise else None,
    )


def refuse_reused_id(stored: Order, event: OrderPlaced) -> tuple[Order, list[OrderEvent]]:
    if stored.content_hash == content_hash(event):
        return stored, []  # the same order again: a redelivery or a checkout retry
    problem = Problem("duplicate_order_id", "this order id was already used for another order")
    return stored, [Rejected(stored.order_id, (problem,))]
