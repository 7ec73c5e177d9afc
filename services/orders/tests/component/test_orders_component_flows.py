"""Journeys of one order through orders' topics, as the checkout and inventory see them."""

import uuid

from orders_component import OrdersComponent, event, new_order_id

from conveyor_contracts.checkout import OrderCancellationRequested, OrderPlaced
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import (
    OrderAccepted,
    OrderCancellationRefused,
    OrderCancelled,
)
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
)


async def test_an_order_placed_then_reserved_is_told_to_the_checkout_as_awaiting_pickup(
    orders: OrdersComponent,
) -> None:
    placed = event(OrderPlaced, new_order_id())
    await orders.publish(CHECKOUT_ORDERS, placed, key=placed.order_id)
    accepted = await orders.next_event(ORDER_LIFECYCLE)
    told_accepted = await orders.next_event(ORDER_STATUS)
    reserved = event(StockReserved, placed.order_id, case_id=None)
    await orders.publish(INVENTORY_RESERVATIONS, reserved, key=placed.order_id)
    told_reserved = await orders.next_event(ORDER_STATUS)

    assert isinstance(accepted, OrderAccepted)
    assert (accepted.causation_id, accepted.correlation_id) == (placed.event_id, placed.order_id)
    assert (told_accepted.status, told_accepted.causation_id) == ("accepted", placed.event_id)
    assert (told_reserved.status, told_reserved.causation_id) == (
        "awaiting_pickup",
        reserved.event_id,
    )
    await orders.settled()
    assert orders.waiting(ORDER_LIFECYCLE) == 0  # a reservation is nothing the mesh must hear
    assert await orders.deps.relay.store.pending(placed.order_id) == []  # published, removed


async def test_what_an_order_placed_causes_continues_the_trace_of_the_checkouts_message(
    orders: OrdersComponent,
) -> None:
    trace_id = uuid.uuid4().hex
    traced = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    placed = event(OrderPlaced, new_order_id())

    await orders.publish(CHECKOUT_ORDERS, placed, key=placed.order_id, headers=traced)

    caused = [await orders.next(ORDER_LIFECYCLE), await orders.next(ORDER_STATUS)]
    assert [message.headers["traceparent"].split("-")[1] for message in caused] == [trace_id] * 2


async def test_an_order_cancelled_before_pickup_is_cancelled_once_and_then_refused(
    orders: OrdersComponent,
) -> None:
    placed = await orders.place()
    first = event(OrderCancellationRequested, placed.order_id, reason="buyer_request")
    await orders.publish(CHECKOUT_ORDERS, first, key=placed.order_id)
    cancelled = await orders.next_event(ORDER_LIFECYCLE)
    told = await orders.next_event(ORDER_STATUS)
    await orders.publish(CHECKOUT_ORDERS, first, key=placed.order_id)  # redelivered
    again = event(OrderCancellationRequested, placed.order_id)
    await orders.publish(CHECKOUT_ORDERS, again, key=placed.order_id)
    refused = await orders.next_event(ORDER_LIFECYCLE)

    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.reason, cancelled.stage, cancelled.causation_id) == (
        "buyer_request",
        "before_pickup",
        first.event_id,
    )
    assert (told.status, told.causation_id) == ("cancelled", first.event_id)
    # The redelivery changed nothing; the new request is refused, and the checkout is told
    # nothing more: the status it shows is still "cancelled".
    assert isinstance(refused, OrderCancellationRefused)
    assert (refused.reason, refused.causation_id) == ("already_cancelled", again.event_id)
    await orders.settled()
    assert (orders.waiting(ORDER_LIFECYCLE), orders.waiting(ORDER_STATUS)) == (0, 0)


async def test_an_order_placed_twice_is_accepted_once(orders: OrdersComponent) -> None:
    placed = await orders.place()
    retried = placed.model_copy(update={"event_id": uuid.uuid4()})  # the checkout's retry

    await orders.publish(CHECKOUT_ORDERS, placed, key=placed.order_id)
    await orders.publish(CHECKOUT_ORDERS, retried, key=placed.order_id)

    await orders.settled()
    assert orders.consumed(CHECKOUT_ORDERS, "ok") == 3
    assert (orders.waiting(ORDER_LIFECYCLE), orders.waiting(ORDER_STATUS)) == (0, 0)


async def test_bytes_that_are_no_event_are_parked_with_their_reason_and_the_order_goes_on(
    orders: OrdersComponent,
) -> None:
    order_id = new_order_id()
    await orders.publish(
        CHECKOUT_ORDERS, b'{"event_type": "OrderPlaced"', key=order_id, headers={"a": "b"}
    )
    parked = await orders.next(CHECKOUT_ORDERS, dead_letter=True)
    placed = await orders.place(order_id)  # the key's next message is handled as ever

    assert parked.body == b'{"event_type": "OrderPlaced"'  # the original bytes, to replay
    assert parked.key == order_id
    assert parked.headers["x-dlq-reason"].startswith("ValidationError: ")
    assert parked.headers["x-dlq-original-topic"] == orders.topic(CHECKOUT_ORDERS)
    assert parked.headers["x-dlq-consumer-group"] == orders.settings.topic("orders")
    assert parked.headers["a"] == "b"  # the original headers travel with it
    assert orders.consumed(CHECKOUT_ORDERS, "dead_lettered") == 1
    assert (await orders.deps.orders.get(placed.order_id)) is not None


async def test_a_reservation_for_an_order_orders_does_not_know_is_parked_with_the_reason(
    orders: OrdersComponent,
) -> None:
    reserved = event(StockReserved, new_order_id(), case_id=None)

    await orders.publish(INVENTORY_RESERVATIONS, reserved, key=reserved.order_id)

    parked = await orders.next(INVENTORY_RESERVATIONS, dead_letter=True)
    assert parked.headers["x-dlq-reason"] == (
        "PermanentError: StockReserved for an order orders does not know"
    )
    assert INVENTORY_RESERVATIONS.adapter.validate_json(parked.body) == reserved
    await orders.settled()
    assert orders.waiting(ORDER_STATUS) == 0
