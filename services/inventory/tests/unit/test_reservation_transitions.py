"""A reservation's status changes, as pure transitions: each applies only where the reservation is
still what it was planned on, and leaves it unchanged otherwise."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from inventory.domain.allocation import Allocation
from inventory.domain.reservation import (
    Backorder,
    Reservation,
    ReservationStatus,
    backordered,
    claimed,
    fell_short,
    held_by,
    opened,
    planned,
    reserved,
    unclaimed,
)

SKU = "TEE-BLK-M"
CLAIM, OTHER = "evt-this-attempt", "evt-another-attempt"
PLAN = (Allocation("WH-US-NJ1", ((SKU, 2),)),)
SINCE = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)
BACKORDER = Backorder(
    lines=((SKU, 2),),
    market="US",
    since=SINCE,
    deadline=SINCE + timedelta(days=3),
    cause="evt-order-accepted",
    correlation_id="ord_t_1",
    short_lines=((SKU, 2, 1),),
)


def waiting() -> Reservation:
    return backordered(opened("ord_t_1", "rsv_t_1", "US"), BACKORDER)


def test_a_new_reservation_is_pending_in_its_market_and_holds_nothing() -> None:
    new = opened("ord_t_1", "rsv_t_1", "US", case_id="case_T1")
    assert new.status is ReservationStatus.PENDING
    assert (new.allocations, new.claim, new.backorder) == ((), None, None)
    assert (new.market, new.case_id) == ("US", "case_T1")


def test_a_plan_is_recorded_with_its_claim_and_market_and_keeps_the_status() -> None:
    half_taken = replace(opened("ord_t_1", "rsv_t_1", "US"), claim=OTHER, market=None)
    plan = planned(half_taken, CLAIM, PLAN, "US")
    assert (plan.allocations, plan.claim, plan.market) == (PLAN, CLAIM, "US")
    assert plan.status is ReservationStatus.PENDING
    assert planned(waiting(), CLAIM, PLAN, "US").status is ReservationStatus.BACKORDERED


def test_only_a_pending_reservation_under_its_own_claim_is_held_by_an_attempt() -> None:
    pending = planned(opened("ord_t_1", "rsv_t_1", "US"), CLAIM, PLAN, "US")
    assert held_by(pending, CLAIM)
    assert not held_by(pending, OTHER)
    assert not held_by(replace(pending, status=ReservationStatus.RESERVED), CLAIM)


def test_a_waiting_backorder_is_claimed_by_the_fill_about_to_take_its_plan() -> None:
    fill = claimed(waiting(), CLAIM, PLAN)
    assert fill.status is ReservationStatus.PENDING
    assert (fill.allocations, fill.claim, fill.backorder) == (PLAN, CLAIM, BACKORDER)
    assert held_by(fill, CLAIM)


@pytest.mark.parametrize(
    "status",
    [
        ReservationStatus.PENDING,
        ReservationStatus.RESERVED,
        ReservationStatus.SHORT,
        ReservationStatus.RELEASED,
        ReservationStatus.DROPPED,
    ],
)
def test_a_backorder_no_longer_waiting_cannot_be_claimed(status: ReservationStatus) -> None:
    moved_on = replace(waiting(), status=status, claim=OTHER)
    assert claimed(moved_on, CLAIM, PLAN) is moved_on


def test_a_fill_that_gave_its_holds_back_leaves_the_backorder_waiting_unclaimed() -> None:
    again = unclaimed(claimed(waiting(), CLAIM, PLAN), CLAIM)
    assert again == waiting()
    assert again.due_at == BACKORDER.deadline


def test_only_the_fill_holding_the_claim_puts_the_backorder_back() -> None:
    others = claimed(waiting(), OTHER, PLAN)
    assert unclaimed(others, CLAIM) is others
    cancelled = replace(claimed(waiting(), CLAIM, PLAN), status=ReservationStatus.RELEASED)
    assert unclaimed(cancelled, CLAIM) is cancelled


def test_the_attempt_holding_the_claim_settles_its_pending_reservation_as_reserved() -> None:
    pending = planned(opened("ord_t_1", "rsv_t_1", "US"), CLAIM, PLAN, "US")
    done = reserved(pending, CLAIM)
    assert done == replace(pending, status=ReservationStatus.RESERVED)
    assert done.due_at is None


def test_a_reservation_cancelled_or_claimed_by_another_is_not_reserved() -> None:
    others = claimed(waiting(), OTHER, PLAN)
    assert reserved(others, CLAIM) is others
    released = replace(claimed(waiting(), CLAIM, PLAN), status=ReservationStatus.RELEASED)
    assert reserved(released, CLAIM) is released


def test_a_reservation_the_market_cannot_cover_falls_short_holding_nothing() -> None:
    short = fell_short(opened("ord_t_1", "rsv_t_1", "US", case_id="case_T1"))
    assert short == Reservation(
        "ord_t_1", "rsv_t_1", ReservationStatus.SHORT, market="US", case_id="case_T1"
    )
    assert fell_short(planned(short, CLAIM, PLAN, "US")).allocations == ()


def test_an_order_the_market_cannot_cover_yet_waits_holding_nothing_until_its_deadline() -> None:
    order = waiting()
    assert order.status is ReservationStatus.BACKORDERED
    assert (order.allocations, order.claim, order.backorder) == ((), None, BACKORDER)
    assert order.due_at == BACKORDER.deadline
    assert order.waiting_skus == (SKU,)
