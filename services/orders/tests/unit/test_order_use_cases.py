"""The orders use cases on the in-memory repository: what is stored and what is emitted."""

from typing import Any

from orders_testkit import TOPICS, event

from conveyor_contracts.checkout import OrderCancellationRequested, OrderPlaced
from conveyor_contracts.inventory import StockBackordered, StockReserved, StockShortage
from conveyor_contracts.orders import ORDER_LIFECYCLE_EVENTS, ORDER_STATUS_EVENTS
from conveyor_contracts.shipping.booking import (
    ShipmentBooked,
    ShipmentBookingFailed,
    ShipmentConfirmed,
)
from conveyor_contracts.shipping.tracking import ShipmentDelivered, ShipmentDispatched, ShipmentLost
from conveyor_contracts.support import CaseCancellationRequested, RefundRequested, ReturnAuthorised
from orders.adapters.memory_orders import MemoryOrders
from orders.domain.order import OrderStatus
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed
from orders.usecases.cancel_order_on_cancellation_requested import (
    cancel_order_on_cancellation_requested,
)
from orders.usecases.progress_order_on_after_sales import progress_order_on_after_sales
from orders.usecases.progress_order_on_reservation import progress_order_on_reservation
from orders.usecases.progress_order_on_shipment import progress_order_on_shipment


def emitted(orders: MemoryOrders, order_id: str) -> list[tuple[str, Any]]:
    """(event_type, event) of everything in the order's outbox, in order."""
    found = []
    for message in orders.outboxes[order_id]:
        adapter = (
            ORDER_STATUS_EVENTS if message.topic == TOPICS.order_status else ORDER_LIFECYCLE_EVENTS
        )
        parsed = adapter.validate_json(message.payload)
        found.append((parsed.event_type, parsed))
    return found


async def placed_and_accepted(orders: MemoryOrders, order_id: str) -> OrderPlaced:
    placed = event(OrderPlaced, order_id)
    await accept_order_on_order_placed(placed, orders)
    return placed


async def test_a_valid_order_is_accepted_and_the_checkout_told() -> None:
    orders = MemoryOrders()
    placed = await placed_and_accepted(orders, "ord_uc_1")
    kinds = emitted(orders, "ord_uc_1")
    assert [kind for kind, _ in kinds] == ["OrderAccepted", "OrderStatusChanged"]
    accepted, status = kinds[0][1], kinds[1][1]
    assert accepted.lines == placed.lines
    assert accepted.causation_id == placed.event_id
    assert status.status == "accepted"


async def test_an_invalid_order_is_rejected_with_its_reasons() -> None:
    orders = MemoryOrders()
    bad = event(OrderPlaced, "ord_uc_2").model_dump(mode="json")
    bad["order_total"]["amount_minor"] += 1
    await accept_order_on_order_placed(OrderPlaced.model_validate(bad), orders)
    (rejected_kind, rejected), (_, status) = emitted(orders, "ord_uc_2")
    assert rejected_kind == "OrderRejected"
    assert [reason.code for reason in rejected.reasons] == ["total_mismatch"]
    assert status.status == "rejected"
    assert orders.orders["ord_uc_2"].status is OrderStatus.REJECTED


async def test_a_redelivered_order_changes_nothing_and_a_reused_id_is_rejected() -> None:
    orders = MemoryOrders()
    placed = await placed_and_accepted(orders, "ord_uc_3")
    await accept_order_on_order_placed(placed, orders)
    assert len(emitted(orders, "ord_uc_3")) == 2

    other = event(OrderPlaced, "ord_uc_3", live_stream_id="live_other")
    await accept_order_on_order_placed(other, orders)
    kind, rejected = emitted(orders, "ord_uc_3")[-1]
    assert kind == "OrderRejected"
    assert rejected.reasons[0].code == "duplicate_order_id"
    assert orders.orders["ord_uc_3"].status is OrderStatus.ACCEPTED


async def test_an_order_moves_to_delivered_and_every_fact_applies_once() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_uc_4")
    facts = [
        event(StockReserved, "ord_uc_4", case_id=None),
        event(ShipmentBooked, "ord_uc_4"),
        event(ShipmentConfirmed, "ord_uc_4"),
        event(ShipmentDispatched, "ord_uc_4"),
        event(ShipmentDelivered, "ord_uc_4"),
    ]
    for fact in facts:
        for _ in range(2):  # every event delivered twice
            if isinstance(fact, StockReserved):
                await progress_order_on_reservation(fact, orders)
            else:
                await progress_order_on_shipment(fact, orders)  # type: ignore[arg-type]
    order = orders.orders["ord_uc_4"]
    assert order.status is OrderStatus.DELIVERED
    statuses = [e.status for kind, e in emitted(orders, "ord_uc_4") if kind == "OrderStatusChanged"]
    assert statuses == ["accepted", "awaiting_pickup", "awaiting_pickup", "shipped", "delivered"]
    assert [c.status for c in order.history] == [
        OrderStatus.ACCEPTED,
        OrderStatus.RESERVED,
        OrderStatus.BOOKED,
        OrderStatus.PICKED_UP,
        OrderStatus.DELIVERED,
    ]


async def test_a_shortage_rejects_the_order() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_uc_5")
    await progress_order_on_reservation(event(StockShortage, "ord_uc_5"), orders)
    assert orders.orders["ord_uc_5"].status is OrderStatus.REJECTED
    assert emitted(orders, "ord_uc_5")[-1][1].status == "rejected"


async def test_cancellation_before_pickup_cancels_and_after_pickup_is_refused() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_uc_6")
    await cancel_order_on_cancellation_requested(
        event(OrderCancellationRequested, "ord_uc_6"), orders
    )
    kinds = [kind for kind, _ in emitted(orders, "ord_uc_6")]
    assert kinds[-2:] == ["OrderCancelled", "OrderStatusChanged"]
    assert orders.orders["ord_uc_6"].status is OrderStatus.CANCELLED

    await placed_and_accepted(orders, "ord_uc_7")
    await progress_order_on_reservation(event(StockReserved, "ord_uc_7", case_id=None), orders)
    await progress_order_on_shipment(event(ShipmentDispatched, "ord_uc_7"), orders)
    await cancel_order_on_cancellation_requested(
        event(OrderCancellationRequested, "ord_uc_7"), orders
    )
    kind, refused = emitted(orders, "ord_uc_7")[-1]
    assert (kind, refused.reason) == ("OrderCancellationRefused", "already_shipped")
    assert orders.orders["ord_uc_7"].status is OrderStatus.PICKED_UP


async def test_after_sales_a_return_then_a_refund_move_the_order_on_once_each() -> None:
    orders = MemoryOrders()
    await delivered(orders, "ord_uc_20")
    for fact in (
        event(ReturnAuthorised, "ord_uc_20"),
        event(ShipmentDelivered, "ord_uc_20", direction="return"),
        event(RefundRequested, "ord_uc_20"),
    ):
        for _ in range(2):
            if isinstance(fact, ShipmentDelivered):
                await progress_order_on_shipment(fact, orders)
            else:
                await progress_order_on_after_sales(fact, orders)
    statuses = [
        e.status for kind, e in emitted(orders, "ord_uc_20") if kind == "OrderStatusChanged"
    ]
    assert statuses[-3:] == ["return_in_progress", "returned", "refund_requested"]
    assert orders.orders["ord_uc_20"].status is OrderStatus.REFUND_REQUESTED


async def test_a_reshipment_after_a_lost_parcel_delivers_the_order() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_uc_21")
    first = [
        event(StockReserved, "ord_uc_21", case_id=None),
        event(ShipmentBooked, "ord_uc_21", shipment_id="shp_first0001"),
        event(ShipmentLost, "ord_uc_21", shipment_id="shp_first0001", direction="outbound"),
    ]
    again = [
        # Carries the support case: a reshipment, a reservation of its own.
        event(StockReserved, "ord_uc_21", reservation_id="rsv_reshipped001"),
        event(
            ShipmentBooked,
            "ord_uc_21",
            shipment_id="shp_second001",
            reservation_id="rsv_reshipped001",
        ),
        event(ShipmentDelivered, "ord_uc_21", shipment_id="shp_second001", direction="outbound"),
    ]
    for fact in first + again:
        if isinstance(fact, StockReserved):
            await progress_order_on_reservation(fact, orders)
        else:
            await progress_order_on_shipment(fact, orders)  # type: ignore[arg-type]
        if fact is first[-1]:
            assert orders.orders["ord_uc_21"].status is OrderStatus.LOST
    assert orders.orders["ord_uc_21"].status is OrderStatus.DELIVERED


async def test_a_cancellation_asked_through_support_after_delivery_is_refused() -> None:
    orders = MemoryOrders()
    await delivered(orders, "ord_uc_22")
    await cancel_order_on_cancellation_requested(
        event(CaseCancellationRequested, "ord_uc_22"), orders
    )
    assert emitted(orders, "ord_uc_22")[-1][1].reason == "already_delivered"


async def delivered(orders: MemoryOrders, order_id: str) -> None:
    await placed_and_accepted(orders, order_id)
    await progress_order_on_reservation(event(StockReserved, order_id, case_id=None), orders)
    for kind in (ShipmentBooked, ShipmentDispatched):
        await progress_order_on_shipment(event(kind, order_id), orders)  # type: ignore[arg-type]
    await progress_order_on_shipment(
        event(ShipmentDelivered, order_id, direction="outbound"), orders
    )
    assert orders.orders[order_id].status is OrderStatus.DELIVERED


async def test_a_return_pickup_nobody_takes_does_not_cancel_a_delivered_order() -> None:
    orders = MemoryOrders()
    await delivered(orders, "ord_uc_23")
    await progress_order_on_shipment(event(ShipmentBookingFailed, "ord_uc_23"), orders)
    assert orders.orders["ord_uc_23"].status is OrderStatus.DELIVERED
    assert "OrderCancelled" not in [kind for kind, _ in emitted(orders, "ord_uc_23")]


async def lost(orders: MemoryOrders, order_id: str) -> None:
    await placed_and_accepted(orders, order_id)
    await progress_order_on_reservation(event(StockReserved, order_id, case_id=None), orders)
    for fact in (
        event(ShipmentBooked, order_id),
        event(ShipmentDispatched, order_id),
        event(ShipmentLost, order_id, direction="outbound"),
    ):
        await progress_order_on_shipment(fact, orders)  # type: ignore[arg-type]
    assert orders.orders[order_id].status is OrderStatus.LOST


async def test_a_reshipment_inventory_cannot_cover_leaves_the_order_where_it_is() -> None:
    orders = MemoryOrders()
    await lost(orders, "ord_uc_24")
    await delivered(orders, "ord_uc_25")
    for order_id, status in (("ord_uc_24", OrderStatus.LOST), ("ord_uc_25", OrderStatus.DELIVERED)):
        told = len(emitted(orders, order_id))
        # The reshipment support approved: inventory finds no stock for it.
        await progress_order_on_reservation(event(StockShortage, order_id), orders)
        assert orders.orders[order_id].status is status
        assert len(emitted(orders, order_id)) == told  # the buyer is not told "rejected"


async def test_a_shortage_of_a_backordered_order_still_rejects_it() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_uc_26")
    await progress_order_on_reservation(event(StockBackordered, "ord_uc_26"), orders)
    await progress_order_on_reservation(event(StockShortage, "ord_uc_26"), orders)
    assert orders.orders["ord_uc_26"].status is OrderStatus.REJECTED


async def test_a_cancellation_that_raced_the_pickup_tells_the_buyer_the_parcel_is_recalled() -> (
    None
):
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_uc_27")
    await progress_order_on_reservation(event(StockReserved, "ord_uc_27", case_id=None), orders)
    for fact in (event(ShipmentBooked, "ord_uc_27"), event(ShipmentConfirmed, "ord_uc_27")):
        await progress_order_on_shipment(fact, orders)  # type: ignore[arg-type]
    # The carrier collects the parcel while the buyer's cancellation reaches orders first.
    await cancel_order_on_cancellation_requested(
        event(OrderCancellationRequested, "ord_uc_27"), orders
    )
    await progress_order_on_shipment(event(ShipmentDispatched, "ord_uc_27"), orders)
    await progress_order_on_shipment(event(ShipmentDispatched, "ord_uc_27"), orders)

    assert orders.orders["ord_uc_27"].status is OrderStatus.CANCELLED
    told = [e for kind, e in emitted(orders, "ord_uc_27") if kind == "OrderStatusChanged"]
    assert [e.status for e in told[-2:]] == ["cancelled", "cancelled"]
    assert told[-2].reason is None
    assert told[-1].reason == "collected before the cancellation; on its way back to the warehouse"
