"""Accepting a placed order: what is stored, what is emitted, and that a redelivery is a no-op."""

import uuid
from datetime import UTC, datetime

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.orders import OrderAccepted
from orders.adapters.memory_orders import MemoryOrders
from orders.domain.order import OrderStatus
from orders.ports import Topics
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed

TOPICS = Topics(order_lifecycle="orders.lifecycle.v1")


def placed(order_id: str) -> OrderPlaced:
    example = OrderPlaced.model_json_schema()["examples"][0]
    return OrderPlaced.model_validate(
        example
        | {
            "event_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": order_id,
            "order_id": order_id,
        }
    )


async def test_an_accepted_order_is_stored_with_order_accepted_in_its_outbox() -> None:
    orders, event = MemoryOrders(), placed("ord_0001")
    await accept_order_on_order_placed(event, orders, TOPICS)

    order = orders.orders["ord_0001"]
    assert order.status is OrderStatus.ACCEPTED
    assert [line.sku for line in order.lines] == [line.sku for line in event.lines]
    (message,) = orders.outboxes["ord_0001"]
    accepted = OrderAccepted.model_validate_json(message.payload)
    assert (message.topic, message.key) == ("orders.lifecycle.v1", "ord_0001")
    assert accepted.causation_id == event.event_id
    assert accepted.correlation_id == event.correlation_id
    assert accepted.lines == event.lines


async def test_a_redelivered_order_placed_emits_the_same_event_id_and_changes_nothing() -> None:
    orders, event = MemoryOrders(), placed("ord_0002")
    await accept_order_on_order_placed(event, orders, TOPICS)
    first = orders.outboxes["ord_0002"][0].event_id
    await accept_order_on_order_placed(event, orders, TOPICS)

    assert len(orders.orders) == 1
    assert [message.event_id for message in orders.outboxes["ord_0002"]] == [first]
    # Had the first write been lost in a crash, the retry would emit the very same event id.
    replay = MemoryOrders()
    await accept_order_on_order_placed(event, replay, TOPICS)
    assert replay.outboxes["ord_0002"][0].event_id == first
