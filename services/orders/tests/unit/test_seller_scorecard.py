"""Seller scorecards on a fixed set of orders, every figure counted by hand.

Now is Sunday 2026-12-20 17:00 UTC; the 7-day window starts 2026-12-13 17:00, the 30-day one
2026-11-20 17:00. The orders are US (New York time, UTC-5 in December) and seller A's unless
said. Per order: (accepted, dispatch-by, what happened) and what it counts for.
"""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from conveyor_contracts.business_days import BusinessCalendar
from orders.domain.order import Order, OrderLine, OrderStatus, Parcel, StatusChange
from orders.domain.promise import Window
from orders.domain.scorecard import Figure, carrier_fault, dispatched_at, scorecard

A, B = "sel_A", "sel_B"
NOW = datetime(2026, 12, 20, 17, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar()


def at(day: int, hour: int = 12, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def parcel(
    shipment: str,
    picked: datetime | None = None,
    delivered: datetime | None = None,
    *,
    scanned: bool = True,
) -> Parcel:
    status = OrderStatus.BOOKED
    if picked is not None:
        status = OrderStatus.DELIVERED if delivered is not None else OrderStatus.PICKED_UP
    return Parcel(
        shipment,
        status,
        "swiftpost",
        f"TRK-{shipment}",
        "res_1",
        picked_up_at=picked,
        delivered_at=delivered,
        scanned_tracking=f"TRK-{shipment}" if scanned and picked else None,
    )


def order(
    order_id: str,
    accepted: datetime,
    due: datetime | None,
    *later: tuple[OrderStatus, datetime],
    parcels: tuple[Parcel, ...] = (),
    sellers: tuple[str | None, ...] = (A,),
    latest: date | None = date(2026, 12, 18),
    **fields: Any,
) -> Order:
    history = (
        StatusChange(OrderStatus.ACCEPTED, accepted, uuid.uuid4()),
        *(StatusChange(status, when, uuid.uuid4()) for status, when in later),
    )
    delivered = [p.delivered_at for p in parcels if p.delivered_at is not None]
    return Order(
        order_id=order_id,
        market="US",
        currency="USD",
        lines=tuple(OrderLine(f"SKU-{i}", 1, 1000, seller) for i, seller in enumerate(sellers)),
        status=history[-1].status,
        history=history,
        placed_event_id=uuid.uuid4(),
        content_hash="h",
        expected_parcels=len(parcels),
        parcels=parcels,
        reservation_id="res_1",
        dispatch_by=due,
        promised_delivery=None if latest is None else Window(date(2026, 12, 16), latest),
        delivered_at=max(delivered) if len(delivered) == len(parcels) and delivered else None,
        **fields,
    )


PICKED, DELIVERED = OrderStatus.PICKED_UP, OrderStatus.DELIVERED
CANCELLED, REJECTED = OrderStatus.CANCELLED, OrderStatus.REJECTED
DUE_16 = at(16, 5)  # the end of Tuesday 15 December in New York

ORDERS = (
    # 1: dispatched on time, delivered on the promise's last day or before: due, on time.
    order(
        "o1",
        at(14, 15),
        DUE_16,
        (PICKED, at(15, 20)),
        (DELIVERED, at(17, 18)),
        parcels=(parcel("p1", at(15, 20), at(17, 18)),),
    ),
    # 2: dispatched late; delivered 2026-12-19 02:00 UTC, still the 18th in New York: on time.
    order(
        "o2",
        at(14, 15),
        DUE_16,
        (PICKED, at(16, 14)),
        (DELIVERED, at(19, 2)),
        parcels=(parcel("p2", at(16, 14), at(19, 2)),),
    ),
    # 3 (30 days only): dispatched late and delivered late: both the seller's.
    order(
        "o3",
        at(1, 15),
        at(3, 5),
        (PICKED, at(3, 12)),
        (DELIVERED, at(10, 15)),
        parcels=(parcel("p3", at(3, 12), at(10, 15)),),
        latest=date(2026, 12, 8),
    ),
    # 4: not dispatched, its dispatch-by (19th) passed: due and late.
    order("o4", at(17, 15), at(19, 5), (OrderStatus.RESERVED, at(17, 16))),
    # 5: not dispatched, its dispatch-by still ahead: not due.
    order("o5", at(19, 15), at(22, 5), (OrderStatus.BOOKED, at(19, 16)), parcels=(parcel("p5"),)),
    # 6: cancelled before its dispatch-by: not due.
    order("o6", at(15), at(17, 5), (CANCELLED, at(16, 10)), closed_reason="buyer_request"),
    # 7: cancelled after its dispatch-by without being dispatched: due and late.
    order("o7", at(15), at(17, 5), (CANCELLED, at(18)), closed_reason="buyer_request"),
    # 8: the seller's stock was not there: rejected before its dispatch-by, the seller's fault.
    order("o8", at(16), at(18, 5), (REJECTED, at(16, 13)), closed_reason="stock_shortage"),
    # 9: no promise: never due, not in on-time delivery; its tracking was never scanned.
    order(
        "o9",
        at(16),
        None,
        (PICKED, at(17)),
        (DELIVERED, at(18)),
        parcels=(parcel("p9", at(17), at(18), scanned=False),),
        latest=None,
    ),
    # 10: lost by the carrier, though dispatched late: left out of everything.
    order(
        "o10",
        at(16),
        at(18, 5),
        (OrderStatus.LOST, at(19)),
        parcels=(parcel("p10", at(18, 12)),),
        carrier_fault="lost",
    ),
    # 11: dispatched on time, delivered late: the carrier's delay, left out.
    order(
        "o11",
        at(14, 15),
        DUE_16,
        (PICKED, at(15, 20)),
        (DELIVERED, at(20, 15)),
        parcels=(parcel("p11", at(15, 20), at(20, 15)),),
    ),
    # 12: seller B's only.
    order("o12", at(16), at(18, 5), (OrderStatus.RESERVED, at(16)), sellers=(B,)),
    # 13: A's and B's, two parcels both picked up on time, one number never scanned.
    order(
        "o13",
        at(18),
        at(20, 5),
        (PICKED, at(19, 14)),
        parcels=(parcel("p13a", at(19, 9)), parcel("p13b", at(19, 14), scanned=False)),
        sellers=(A, B),
    ),
    # 14: a line without a seller counts for no one.
    order("o14", at(16), at(18, 5), (OrderStatus.RESERVED, at(16)), sellers=(None,)),
    # 15: accepted before both windows.
    order("o15", at(10, 12, month=11), at(12, 5, month=11), (REJECTED, at(10, 13, month=11))),
    # 16 (30 days only): cancelled out of stock before its dispatch-by: the seller's fault.
    order("o16", at(2), at(4, 5), (CANCELLED, at(2, 14)), closed_reason="out_of_stock"),
    # 17: no carrier would take it: left out.
    order(
        "o17",
        at(18),
        at(22, 5),
        (CANCELLED, at(18, 13)),
        closed_reason="no_carrier_available",
        carrier_fault="no_carrier_available",
    ),
)


def test_seller_a_over_7_days() -> None:
    week, _ = scorecard(ORDERS, A, CALENDAR, NOW).windows
    assert (week.days, week.since, week.until) == (7, at(13, 17), NOW)
    assert (week.orders, week.carrier_fault_excluded) == (12, 3)  # 1-2, 4-11, 13, 17; 10 11 17
    assert week.late_dispatch == Figure(3, 5)  # late 2, 4, 7 of due 1, 2, 4, 7, 13
    assert week.late_dispatch.rate == 0.6
    assert week.within_late_dispatch_target is False
    assert week.valid_tracking == Figure(2, 4)  # 1, 2 of dispatched 1, 2, 9, 13
    assert week.on_time_delivery == Figure(2, 2)  # 1, 2 (9 has no promise)
    assert week.seller_fault_cancellation == Figure(1, 9)  # 8 of 1, 2, 4-9, 13


def test_seller_a_over_30_days() -> None:
    _, month = scorecard(ORDERS, A, CALENDAR, NOW).windows
    assert (month.orders, month.carrier_fault_excluded) == (14, 3)  # and 3, 16
    assert month.late_dispatch == Figure(4, 6)  # and 3, late (16 closed before its dispatch-by)
    assert month.valid_tracking == Figure(3, 5)  # and 3
    assert month.on_time_delivery == Figure(2, 3)  # and 3, late
    assert month.seller_fault_cancellation == Figure(2, 11)  # and 16


def test_seller_b_sees_only_the_orders_with_its_lines() -> None:
    week, month = scorecard(ORDERS, B, CALENDAR, NOW).windows
    assert (week.orders, month.orders) == (2, 2)  # 12 and 13
    assert week.late_dispatch == Figure(1, 2)  # 12 not dispatched past its dispatch-by; 13 on time
    assert week.within_late_dispatch_target is False
    assert week.on_time_delivery == Figure(0, 0)


def test_a_seller_without_orders_has_no_rates_rather_than_zero_or_one() -> None:
    for figures in scorecard(ORDERS, "sel_nobody", CALENDAR, NOW).windows:
        assert figures.orders == 0
        for figure in (
            figures.late_dispatch,
            figures.valid_tracking,
            figures.on_time_delivery,
            figures.seller_fault_cancellation,
        ):
            assert (figure.numerator, figure.denominator, figure.rate) == (0, 0, None)
        assert figures.within_late_dispatch_target is None


def test_the_target_is_four_percent_at_most() -> None:
    on_time = order("t", at(14), DUE_16, (PICKED, at(15)), parcels=(parcel("pt", at(15)),))
    late = order("l", at(14), DUE_16, (PICKED, at(17)), parcels=(parcel("pl", at(17)),))
    week, _ = scorecard((late, *[on_time] * 24), A, CALENDAR, NOW).windows
    assert (week.late_dispatch, week.within_late_dispatch_target) == (Figure(1, 25), True)
    week, _ = scorecard((late, *[on_time] * 23), A, CALENDAR, NOW).windows
    assert (week.late_dispatch, week.within_late_dispatch_target) == (Figure(1, 24), False)


def test_an_order_is_dispatched_when_its_last_own_parcel_is_picked_up() -> None:
    two = ORDERS[12]
    assert dispatched_at(two) == at(19, 14)
    one_left = order("h", at(18), at(20, 5), parcels=(parcel("a", at(19)), parcel("b")))
    assert dispatched_at(one_left) is None
    unknown_count = order("u", at(18), at(20, 5), parcels=(parcel("a", at(19)),))
    assert dispatched_at(replace(unknown_count, expected_parcels=0)) is None
    # Stored before parcels kept their pickups: when orders heard the order was picked up.
    old = order("old", at(18), at(20, 5), (PICKED, at(19, 3)), parcels=(parcel("a"),))
    assert dispatched_at(old) == at(19, 3)


def test_a_late_delivery_is_the_carriers_only_when_the_dispatch_was_on_time() -> None:
    assert carrier_fault(ORDERS[10], CALENDAR) == "delivered_late"  # o11
    assert carrier_fault(ORDERS[2], CALENDAR) is None  # o3: dispatched late too
    assert carrier_fault(ORDERS[9], CALENDAR) == "lost"
