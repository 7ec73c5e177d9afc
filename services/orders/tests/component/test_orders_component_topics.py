"""Orders against the topic registry: it reads every topic the registry names it a consumer of,
handles every event type they carry, and publishes every event type of its own topics, each
as its contract says (the ``orders`` fixture parses everything it published)."""

from typing import Any

import pytest
from orders_component import CONSUMED, PRODUCED, OrdersComponent, event

from conveyor_contracts.checkout import OrderCancellationRequested, OrderPlaced
from conveyor_contracts.envelope import Envelope
from conveyor_contracts.orders import (
    OrderCancellationRefused,
    OrderCancelled,
    OrderRejected,
    OrderStatusChanged,
)
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import CHECKOUT_ORDERS, ORDER_LIFECYCLE, ORDER_STATUS

CONSUMED_EVENTS = [(spec, model) for spec in CONSUMED for model in spec.events]


def test_orders_reads_exactly_the_topics_the_registry_names_it_a_consumer_of(
    orders: OrdersComponent,
) -> None:
    subscribed = {
        (subscriber.group_id, topic.name)
        for subscriber in orders.deps.infra.broker.subscribers
        for topic in subscriber.topics
    }
    group = orders.settings.topic("orders")
    assert subscribed == {(group, orders.topic(spec)) for spec in CONSUMED}


@pytest.mark.parametrize(
    ("spec", "model"),
    CONSUMED_EVENTS,
    ids=[f"{spec.name}:{model.__name__}" for spec, model in CONSUMED_EVENTS],
)
async def test_every_event_type_orders_consumes_is_handled_for_an_order_it_knows(
    orders: OrdersComponent, spec: TopicSpec[Any], model: type[Envelope]
) -> None:
    placed = await orders.place()
    handled_before = orders.consumed(spec, "ok")

    await orders.publish(spec, event(model, placed.order_id), key=placed.order_id)

    assert orders.consumed(spec, "ok") == handled_before + 1
    assert orders.consumed(spec, "dead_lettered") == 0
    assert orders.waiting(spec, dead_letter=True) == 0


async def test_every_event_type_orders_produces_is_published_as_its_contract_says(
    orders: OrdersComponent,
) -> None:
    accepted = await orders.place()
    # The same order id for another order: rejected, the stored order left alone.
    reused = event(OrderPlaced, accepted.order_id, live_stream_id="another_stream")
    await orders.publish(CHECKOUT_ORDERS, reused, key=accepted.order_id)
    rejected = await orders.next_event(ORDER_LIFECYCLE)
    placed = await orders.place()
    await orders.publish(CHECKOUT_ORDERS, cancellation(placed), key=placed.order_id)
    cancelled = await orders.next_event(ORDER_LIFECYCLE)
    told = await orders.next_event(ORDER_STATUS)
    await orders.publish(CHECKOUT_ORDERS, cancellation(placed), key=placed.order_id)
    refused = await orders.next_event(ORDER_LIFECYCLE)

    assert [reason.code for reason in rejected.reasons] == ["duplicate_order_id"]
    assert [told.status, refused.reason] == ["cancelled", "already_cancelled"]
    in_order = [rejected, cancelled, told, refused]
    assert [type(event) for event in in_order] == [
        OrderRejected,
        OrderCancelled,
        OrderStatusChanged,
        OrderCancellationRefused,
    ]
    published = {orders.parsed(message).event_type for message in orders.published}
    assert published == {model.__name__ for spec in PRODUCED for model in spec.events}


def cancellation(placed: OrderPlaced) -> OrderCancellationRequested:
    return event(OrderCancellationRequested, placed.order_id)
