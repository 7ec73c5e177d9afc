"""Accept an order the checkout placed: store it and announce it, exactly once per order id."""

from datetime import UTC, datetime

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.orders import OrderAccepted
from conveyor_runtime.outbox import derived_event_id, outbox_message
from orders.domain.order import Order, OrderLine, OrderStatus, StatusChange
from orders.ports import OrderRepository, Topics


async def accept_order_on_order_placed(
    event: OrderPlaced, orders: OrderRepository, topics: Topics
) -> None:
    """Store the order as accepted with ``OrderAccepted`` in its outbox.

    A redelivered ``OrderPlaced`` finds the order already stored and changes nothing; the outbox
    event id is derived from the cause, so even a retry after a crash re-emits the same event.
    """
    now = datetime.now(UTC)
    accepted = OrderAccepted(
        event_id=derived_event_id(event.event_id, "OrderAccepted"),
        occurred_at=now,
        correlation_id=event.correlation_id,
        causation_id=event.event_id,
        producer="orders",
        order_id=event.order_id,
        market=event.market,
        currency=event.currency,
        service_level=event.service_level,
        ship_to=event.ship_to,
        recipient=event.recipient,
        lines=event.lines,
    )
    order = Order(
        order_id=event.order_id,
        market=event.market,
        currency=event.currency,
        lines=tuple(
            OrderLine(line.sku, line.quantity, line.unit_price.amount_minor) for line in event.lines
        ),
        status=OrderStatus.ACCEPTED,
        history=(StatusChange(OrderStatus.ACCEPTED, now, accepted.event_id),),
        placed_event_id=event.event_id,
    )
    await orders.add(
        order, [outbox_message(accepted, topic=topics.order_lifecycle, key=event.order_id)]
    )
