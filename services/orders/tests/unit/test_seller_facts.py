"""What the seller figures need is kept on the order as the facts arrive: each parcel's pickup
and delivery scans and whether its number was scanned, the order's delivery instant, why it
closed and whether a carrier failed it; and a seller's orders at risk of a late dispatch."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from orders_testkit import event
from test_order_use_cases import placed_and_accepted

from conveyor_contracts.checkout import OrderCancellationRequested
from conveyor_contracts.inventory import StockReserved, StockShortage
from conveyor_contracts.shipping.booking import (
    ShipmentBooked,
    ShipmentBookingFailed,
    ShipmentConfirmed,
    ShipmentRebooked,
)
from conveyor_contracts.shipping.tracking import (
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentInTransit,
    ShipmentLost,
    ShipmentReturnedToSender,
)
from orders.adapters.memory_orders import MemoryOrders
from orders.adapters.mongo_orders import from_document, to_document
from orders.domain.at_risk import orders_at_risk
from orders.domain.order import Order, OrderStatus, StatusChange
from orders.usecases.cancel_order_on_cancellation_requested import (
    cancel_order_on_cancellation_requested,
)
from orders.usecases.progress_order_on_reservation import progress_order_on_reservation
from orders.usecases.progress_order_on_shipment import progress_order_on_shipment
from orders.usecases.score_seller import seller_orders_at_risk

SHIPMENT = "shp_01J9Z4B6T2W8"
RESERVATION = "rsv_01J9Z4A1Q7C3"
PICKUP = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
SELLER = "sel_01J9ZA4S7K2L"  # the contracts' example lines' seller


async def reserved_and_booked(orders: MemoryOrders, order_id: str) -> None:
    await placed_and_accepted(orders, order_id)
    await progress_order_on_reservation(
        event(StockReserved, order_id, case_id=None, reservation_id=RESERVATION), orders
    )
    await progress_order_on_shipment(event(ShipmentBooked, order_id), orders)
    await progress_order_on_shipment(event(ShipmentConfirmed, order_id), orders)


async def test_the_pickup_scan_and_the_delivery_are_kept_whatever_order_they_come_in() -> None:
    orders = MemoryOrders()
    await reserved_and_booked(orders, "ord_sf_1")
    hub = event(
        ShipmentInTransit, "ord_sf_1", direction="outbound", scanned_at=PICKUP.replace(hour=20)
    )
    await progress_order_on_shipment(hub, orders)
    assert orders.orders["ord_sf_1"].parcels[0].picked_up_at == PICKUP.replace(hour=20)

    dispatched = event(ShipmentDispatched, "ord_sf_1", picked_up_at=PICKUP)  # came late
    await progress_order_on_shipment(dispatched, orders)
    delivered_at = PICKUP + timedelta(days=2)
    delivered = event(ShipmentDelivered, "ord_sf_1", direction="outbound", scanned_at=delivered_at)
    await progress_order_on_shipment(delivered, orders)

    order = orders.orders["ord_sf_1"]
    (parcel,) = order.parcels
    assert (parcel.picked_up_at, parcel.delivered_at) == (PICKUP, delivered_at)
    assert parcel.scanned_tracking == parcel.tracking_number == "SP1234567890US"
    assert (order.status, order.delivered_at) == (OrderStatus.DELIVERED, delivered_at)
    assert (order.closed_reason, order.carrier_fault) == (None, None)


async def test_a_number_voided_by_a_rebooking_is_no_longer_the_one_scanned() -> None:
    orders = MemoryOrders()
    await reserved_and_booked(orders, "ord_sf_2")
    hub = event(ShipmentInTransit, "ord_sf_2", direction="outbound", scanned_at=PICKUP)
    await progress_order_on_shipment(hub, orders)
    assert orders.orders["ord_sf_2"].parcels[0].scanned_tracking == "SP1234567890US"
    await progress_order_on_shipment(event(ShipmentRebooked, "ord_sf_2"), orders)
    parcel = orders.orders["ord_sf_2"].parcels[0]
    assert (parcel.carrier_code, parcel.tracking_number, parcel.scanned_tracking) == (
        "libertyparcel",
        None,
        None,
    )


async def test_why_an_order_closed_is_kept() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_sf_3")
    await progress_order_on_reservation(event(StockShortage, "ord_sf_3"), orders)
    await placed_and_accepted(orders, "ord_sf_4")
    request = event(OrderCancellationRequested, "ord_sf_4", reason="buyer_request")
    await cancel_order_on_cancellation_requested(request, orders)
    await cancel_order_on_cancellation_requested(  # refused: the first reason stays
        event(OrderCancellationRequested, "ord_sf_4", reason="fraud_suspected"), orders
    )
    await placed_and_accepted(orders, "ord_sf_5")
    await progress_order_on_shipment(event(ShipmentBookingFailed, "ord_sf_5"), orders)

    assert [
        (orders.orders[o].status, orders.orders[o].closed_reason, orders.orders[o].carrier_fault)
        for o in ("ord_sf_3", "ord_sf_4", "ord_sf_5")
    ] == [
        (OrderStatus.REJECTED, "stock_shortage", None),
        (OrderStatus.CANCELLED, "buyer_request", None),
        (OrderStatus.CANCELLED, "no_carrier_available", "no_carrier_available"),
    ]


async def test_a_parcel_lost_or_returned_to_sender_is_the_carriers_fault() -> None:
    orders = MemoryOrders()
    for order_id, fact in (("ord_sf_6", ShipmentLost), ("ord_sf_7", ShipmentReturnedToSender)):
        await reserved_and_booked(orders, order_id)
        await progress_order_on_shipment(event(ShipmentDispatched, order_id), orders)
        await progress_order_on_shipment(event(fact, order_id, direction="outbound"), orders)
    assert orders.orders["ord_sf_6"].carrier_fault == "lost"
    assert orders.orders["ord_sf_7"].carrier_fault == "returned_to_sender"


async def test_the_new_facts_round_trip_and_older_documents_load_without_them() -> None:
    orders = MemoryOrders()
    await reserved_and_booked(orders, "ord_sf_8")
    await progress_order_on_shipment(event(ShipmentDispatched, "ord_sf_8"), orders)
    await progress_order_on_shipment(event(ShipmentLost, "ord_sf_8", direction="outbound"), orders)
    order = orders.orders["ord_sf_8"]
    document = to_document(order)
    assert document["accepted_at"] == order.accepted_at is not None
    assert from_document(document) == order

    for name in ("delivered_at", "closed_reason", "carrier_fault", "accepted_at"):
        del document[name]
    for parcel in document["parcels"]:
        for name in ("picked_up_at", "delivered_at", "scanned_tracking"):
            del parcel[name]
    old = from_document(document)
    assert (old.delivered_at, old.closed_reason, old.carrier_fault) == (None, None, None)
    assert (old.parcels[0].picked_up_at, old.parcels[0].scanned_tracking) == (None, None)


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def waiting(order: Order, order_id: str, hours: float | None, status: OrderStatus) -> Order:
    due = None if hours is None else NOW + timedelta(hours=hours)
    history = (*order.history, StatusChange(status, NOW, uuid.uuid4()))
    return replace(order, order_id=order_id, dispatch_by=due, status=status, history=history)


async def test_orders_at_risk_are_those_not_dispatched_within_the_hours_soonest_first() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_base")
    base = orders.orders.pop("ord_base")
    for order in (
        waiting(base, "ord_in_20h", 20, OrderStatus.RESERVED),
        waiting(base, "ord_passed", -3.5, OrderStatus.BOOKED),
        waiting(base, "ord_in_30h", 30, OrderStatus.ACCEPTED),  # beyond the 24 hours asked
        waiting(base, "ord_picked", -1, OrderStatus.PICKED_UP),  # dispatched
        waiting(base, "ord_closed", -1, OrderStatus.CANCELLED),
        waiting(base, "ord_no_due", None, OrderStatus.RESERVED),
        replace(waiting(base, "ord_other", 1, OrderStatus.RESERVED), lines=()),
        waiting(base, "ord_in_24h", 24, OrderStatus.BACKORDERED),  # exactly 24 hours: in
    ):
        orders.orders[order.order_id] = order

    found = await seller_orders_at_risk(orders, SELLER, NOW, timedelta(hours=24), limit=10)

    assert [(item.order_id, item.status, item.hours_left) for item in found] == [
        ("ord_passed", OrderStatus.BOOKED, -3.5),
        ("ord_in_20h", OrderStatus.RESERVED, 20.0),
        ("ord_in_24h", OrderStatus.BACKORDERED, 24.0),
    ]
    assert found[0].dispatch_by == NOW - timedelta(hours=3.5)
    assert orders_at_risk(orders.orders.values(), "sel_other", NOW, timedelta(hours=24)) == []
    assert len(await seller_orders_at_risk(orders, SELLER, NOW, timedelta(0), limit=10)) == 1
