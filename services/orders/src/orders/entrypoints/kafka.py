"""Kafka subscribers: translate a contract event into one use case call, nothing more."""

from conveyor_contracts.checkout import CheckoutEvent, OrderPlaced
from conveyor_contracts.groups import GROUP_ORDERS
from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_runtime.consumer import subscribe
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.service import Infrastructure
from orders.ports import OrderRepository, Topics
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed


def register_subscribers(infra: Infrastructure, orders: OrderRepository, topics: Topics) -> None:
    settings = infra.settings

    async def on_checkout_event(event: CheckoutEvent) -> None:
        if isinstance(event, OrderPlaced):
            await accept_order_on_order_placed(event, orders, topics)
        else:
            raise PermanentError(f"orders does not handle {event.event_type} yet")

    subscribe(
        infra.broker,
        topic=settings.topic(CHECKOUT_ORDERS.name),
        dead_letter_topic=settings.topic(CHECKOUT_ORDERS.dead_letter),
        group_id=settings.topic(GROUP_ORDERS),
        adapter=CHECKOUT_ORDERS.adapter,
        handle=on_checkout_event,
        metrics=infra.metrics,
        order_id_of=lambda event: event.order_id,
    )
