"""How far an order's parcels take it: its own parcels once all are known, and a reshipment's
parcels standing in for the lost ones once all of those are known too."""

import uuid
from datetime import UTC, datetime
from typing import Any

from conveyor_contracts.shipping import ShipmentEvent
from conveyor_contracts.shipping.tracking import (
    DeliveryAttemptFailed,
    ShipmentInTransit,
    ShipmentLost,
    ShipmentReturnedToSender,
)
from conveyor_testkit import from_example
from orders.domain.order import Order, OrderStatus, parcels_status, with_parcel
from orders.domain.transitions import on_shipment

NOW = datetime(2026, 3, 14, tzinfo=UTC)


def an_order(**fields: Any) -> Order:
    return Order(
        order_id="ord_parcels_1",
        market="US",
        currency="USD",
        lines=(),
        status=OrderStatus.RESERVED,
        history=(),
        placed_event_id=uuid.uuid4(),
        content_hash="h",
        reservation_id="rsv_own",
        **fields,
    )


def test_parcels_tell_nothing_before_inventory_says_how_many_there_are() -> None:
    order = with_parcel(an_order(), "shp_aaaaaaaa", OrderStatus.DELIVERED, reservation_id="rsv_own")
    assert parcels_status(order) is None


def test_a_reshipment_stands_in_for_the_lost_parcel_once_all_its_parcels_are_known() -> None:
    order = an_order(expected_parcels=2, reshipped_parcels=2)
    order = with_parcel(order, "shp_aaaaaaaa", OrderStatus.DELIVERED, reservation_id="rsv_own")
    order = with_parcel(order, "shp_bbbbbbbb", OrderStatus.LOST, reservation_id="rsv_own")
    assert parcels_status(order) is OrderStatus.LOST
    order = with_parcel(order, "shp_cccccccc", OrderStatus.DELIVERED, reservation_id="rsv_again")
    assert parcels_status(order) is OrderStatus.LOST  # the reshipment's second parcel is unknown
    order = with_parcel(order, "shp_dddddddd", OrderStatus.PICKED_UP, reservation_id="rsv_again")
    assert parcels_status(order) is OrderStatus.LOST  # on its way: not yet further than lost
    order = with_parcel(order, "shp_dddddddd", OrderStatus.DELIVERED)
    assert parcels_status(order) is OrderStatus.DELIVERED


def test_a_reshipment_never_takes_the_order_back_behind_its_own_parcels() -> None:
    order = an_order(expected_parcels=1, reshipped_parcels=1)
    order = with_parcel(order, "shp_aaaaaaaa", OrderStatus.DELIVERED, reservation_id="rsv_own")
    order = with_parcel(order, "shp_bbbbbbbb", OrderStatus.BOOKED, reservation_id="rsv_again")
    assert parcels_status(order) is OrderStatus.DELIVERED


def test_a_parcel_whose_booking_was_not_seen_yet_counts_as_the_orders_own() -> None:
    order = with_parcel(an_order(expected_parcels=1), "shp_aaaaaaaa", OrderStatus.PICKED_UP)
    assert order.parcels[0].reservation_id is None
    assert parcels_status(order) is OrderStatus.PICKED_UP


def test_a_returns_scans_move_no_outbound_parcel() -> None:
    order = with_parcel(an_order(expected_parcels=1), "shp_aaaaaaaa", OrderStatus.BOOKED)
    where = {"order_id": order.order_id, "shipment_id": "shp_aaaaaaaa", "direction": "return"}
    scans: list[ShipmentEvent] = [
        from_example(ShipmentInTransit, **where),
        from_example(DeliveryAttemptFailed, **where),
        from_example(ShipmentReturnedToSender, **where),
        from_example(ShipmentLost, **where),
    ]
    for scan in scans:
        assert on_shipment(order, scan, NOW) == order
