"""Accept (or reject, with every reason) an order the checkout placed, once per order id."""

import hashlib
from datetime import UTC, datetime

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.orders import OrderAccepted, OrderRejected, Rejection
from conveyor_runtime.logs import current_trace_id
from conveyor_runtime.outbox import OutboxMessage
from orders.domain.order import Order, OrderLine, OrderStatus, StatusChange
from orders.domain.validation import Problem, problems_of
from orders.ports import OrderRepository, Topics
from orders.usecases.emit import Reaction

# Envelope fields differ between two publishes of the same order; the content does not.
_ENVELOPE = {"event_id", "occurred_at", "causation_id", "producer"}


def content_hash(event: OrderPlaced) -> str:
    return hashlib.sha256(event.model_dump_json(exclude=_ENVELOPE).encode()).hexdigest()


async def accept_order_on_order_placed(
    event: OrderPlaced, orders: OrderRepository, topics: Topics
) -> None:
    """Store the order as accepted or rejected, with its events in the order's outbox.

    A redelivered ``OrderPlaced`` (same content) changes nothing. A different order re-using an
    existing id is rejected without touching the stored order.
    """
    reaction = Reaction(event, topics, datetime.now(UTC))
    problems = problems_of(event)
    order = new_order(event, reaction, OrderStatus.REJECTED if problems else OrderStatus.ACCEPTED)
    if problems:
        events = [rejection(reaction, problems)]
    else:
        events = [
            reaction.lifecycle(
                OrderAccepted,
                market=event.market,
                currency=event.currency,
                service_level=event.service_level,
                ship_to=event.ship_to,
                recipient=event.recipient,
                lines=event.lines,
            )
        ]
    events += reaction.status_changes(None, order, reason=problems[0].detail if problems else None)
    if await orders.add(order, events):
        return
    await orders.update(event.order_id, lambda stored: refuse_reused_id(stored, event, reaction))


def new_order(event: OrderPlaced, reaction: Reaction, status: OrderStatus) -> Order:
    return Order(
        order_id=event.order_id,
        market=event.market,
        currency=event.currency,
        lines=tuple(
            OrderLine(line.sku, line.quantity, line.unit_price.amount_minor) for line in event.lines
        ),
        status=status,
        history=(StatusChange(status, reaction.now, event.event_id),),
        placed_event_id=event.event_id,
        content_hash=content_hash(event),
        applied=(str(event.event_id),),
        trace_id=current_trace_id(),  # the span handling this OrderPlaced
    )


def rejection(reaction: Reaction, problems: list[Problem]) -> OutboxMessage:
    reasons = tuple(Rejection(code=problem.code, detail=problem.detail) for problem in problems)
    return reaction.lifecycle(OrderRejected, reasons=reasons)


def refuse_reused_id(
    stored: Order, event: OrderPlaced, reaction: Reaction
) -> tuple[Order, list[OutboxMessage]]:
    if stored.content_hash == content_hash(event):
        return stored, []  # the same order again: a redelivery or a checkout retry
    problem = Problem("duplicate_order_id", "this order id was already used for another order")
    return stored, [rejection(reaction, [problem])]
