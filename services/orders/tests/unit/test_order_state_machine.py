"""The order state machine: progress only ever goes forward, whatever order facts arrive in."""

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from conveyor_contracts.shipping.booking import ShipmentRebooked
from conveyor_testkit import from_example
from orders.domain.order import Order, OrderStatus, moved_to, parcels_status, with_parcel
from orders.domain.transitions import on_shipment

NOW = datetime(2026, 3, 14, tzinfo=UTC)


def an_order(status: OrderStatus = OrderStatus.ACCEPTED, expected_parcels: int = 0) -> Order:
    return Order(
        order_id="ord_sm_1",
        market="US",
        currency="USD",
        lines=(),
        status=status,
        history=(),
        placed_event_id=uuid.uuid4(),
        content_hash="h",
        expected_parcels=expected_parcels,
    )


@given(st.lists(st.sampled_from(OrderStatus), max_size=30))
def test_an_order_never_moves_back_whatever_the_sequence_of_statuses(
    statuses: list[OrderStatus],
) -> None:
    order = an_order()
    for status in statuses:
        after = moved_to(order, status, NOW, uuid.uuid4())
        assert after.status >= order.status
        assert after.status == max(order.status, status)
        order = after


def test_terminal_statuses_outrank_every_progress_status() -> None:
    for final in (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.RETURNED_TO_SENDER):
        assert moved_to(an_order(final), OrderStatus.DELIVERED, NOW, uuid.uuid4()).status is final


def test_a_split_order_is_as_far_as_its_least_advanced_parcel() -> None:
    order = an_order(OrderStatus.RESERVED, expected_parcels=2)
    order = with_parcel(order, "shp_a", OrderStatus.DELIVERED, "swiftpost", "SP1")
    assert parcels_status(order) is None  # the second parcel is not booked yet
    order = with_parcel(order, "shp_b", OrderStatus.BOOKED, "libertyparcel")
    assert parcels_status(order) is OrderStatus.BOOKED
    order = with_parcel(order, "shp_b", OrderStatus.DELIVERED)
    assert parcels_status(order) is OrderStatus.DELIVERED


@given(
    st.permutations(
        [
            OrderStatus.BOOKED,
            OrderStatus.PICKED_UP,
            OrderStatus.OUT_FOR_DELIVERY,
            OrderStatus.DELIVERED,
        ]
    )
)
def test_parcel_scans_in_any_order_end_in_the_furthest_status(scans: list[OrderStatus]) -> None:
    order = an_order(OrderStatus.RESERVED, expected_parcels=1)
    for status in scans:
        order = with_parcel(order, "shp_a", status, "swiftpost", "SP1")
    assert parcels_status(order) is OrderStatus.DELIVERED
    assert order.parcels[0].tracking_number == "SP1"


def test_a_rebooked_parcel_drops_the_previous_carriers_tracking_number() -> None:
    order = with_parcel(an_order(), "shp_a", OrderStatus.BOOKED, "libertyparcel", "LI1234567890")
    order = with_parcel(order, "shp_a", OrderStatus.BOOKED, "swiftpost")
    [parcel] = order.parcels
    assert (parcel.carrier_code, parcel.tracking_number) == ("swiftpost", None)
    order = with_parcel(order, "shp_a", OrderStatus.PICKED_UP, None, "SP1234567890")
    assert order.parcels[0].tracking_number == "SP1234567890"


def test_a_rebooked_return_pickup_is_not_taken_for_an_outbound_parcel() -> None:
    order = with_parcel(an_order(OrderStatus.DELIVERED, 1), "shp_a", OrderStatus.DELIVERED)
    rebooked = from_example(ShipmentRebooked, order_id=order.order_id, shipment_id="shp_return01")
    after = on_shipment(order, rebooked, datetime.now(UTC))
    assert after.parcels == order.parcels
    assert after.status is OrderStatus.DELIVERED
