"""The arrival forecast's rules, in the US market's business days (weekends, Thanksgiving on
26 November and Christmas on 25 December 2026 off), the dates counted by hand."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.values import DeliveryWindow
from shipping.domain.forecast import after_scan, at_booking, on_pickup, reforecast
from shipping.domain.shipment import Line, ReturnPickup, Scan, Shipment

US = BusinessCalendar()


def at(day: int, hour: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def scanned(status: str, when: datetime) -> Scan:
    return Scan(status, when, "LOC-1")


def test_at_booking_the_expected_arrival_is_its_date_in_the_market() -> None:
    # 02:00 UTC on 9 December is still the 8th in New York.
    assert at_booking(US, "US", at(9, 2)) == date(2026, 12, 8)


@pytest.mark.parametrize(
    "picked_up_at",
    [at(25, 15, month=11), at(26, 3, month=11)],  # 10:00 and 22:00 on the 25th in New York
)
def test_a_pickup_counts_the_transit_days_in_business_days(picked_up_at: datetime) -> None:
    # From Wednesday 25 November, 3 days: Friday 27 (Thanksgiving skipped), Monday 30 (the
    # weekend skipped), Tuesday 1 December.
    assert on_pickup(US, "US", picked_up_at, 3) == date(2026, 12, 1)


def test_a_scan_on_the_way_is_not_delivered_before_the_next_business_day() -> None:
    # Scanned on Friday 4 December: Monday 7 at the earliest.
    on_friday = scanned("in_transit", at(4, 15))
    assert after_scan(US, "US", date(2026, 12, 1), on_friday, False) == date(2026, 12, 7)
    assert after_scan(US, "US", date(2026, 12, 10), on_friday, False) == date(2026, 12, 10)


def test_out_for_delivery_is_expected_that_day_even_earlier_than_forecast() -> None:
    out = scanned("out_for_delivery", at(8, 15))
    assert after_scan(US, "US", date(2026, 12, 10), out, False) == date(2026, 12, 8)


def test_a_failed_attempt_retried_and_an_exception_push_past_the_holiday() -> None:
    # Thursday 24 December: Christmas, then the weekend; Monday 28 at the earliest.
    for status in ("delivery_failed", "exception"):
        held = scanned(status, at(24, 15))
        assert after_scan(US, "US", date(2026, 12, 22), held, True) == date(2026, 12, 28)


def test_a_failed_attempt_not_retried_and_an_end_leave_the_forecast() -> None:
    forecast = date(2026, 12, 22)
    for status, retry in (("delivery_failed", False), ("delivered", False), ("lost", False)):
        assert after_scan(US, "US", forecast, scanned(status, at(24, 15)), retry) == forecast


PROMISE = DeliveryWindow(earliest=date(2026, 12, 7), latest=date(2026, 12, 9))
OUTBOUND = Shipment("shp_1", "rsv_1", "WH-US-NJ1", (Line("SKU-0", 1),), carrier_code="swiftpost")


def test_passing_the_window_is_told_once_and_not_undone() -> None:
    inside, told = reforecast("ord_1", OUTBOUND, date(2026, 12, 9), PROMISE)
    assert (inside.forecast_delivery, told) == (date(2026, 12, 9), [])

    late, [delayed] = reforecast("ord_1", inside, date(2026, 12, 10), PROMISE)
    assert (delayed.promised_latest, delayed.forecast_delivery) == (
        date(2026, 12, 9),
        date(2026, 12, 10),
    )
    assert late.delay_told

    back, again = reforecast("ord_1", late, date(2026, 12, 8), PROMISE)
    later, still = reforecast("ord_1", back, date(2026, 12, 14), PROMISE)
    assert (again, still) == ([], [])
    assert back.delay_told
    assert later.forecast_delivery == date(2026, 12, 14)


def test_no_promise_and_returns_tell_no_delay() -> None:
    assert reforecast("ord_1", OUTBOUND, date(2026, 12, 30), None)[1] == []
    pickup = ReturnPickup("rma_1", None, None, at(30, 12))  # type: ignore[arg-type]
    returning = replace(OUTBOUND, reservation_id=None, returning=pickup)
    assert reforecast("ord_1", returning, date(2026, 12, 30), PROMISE) == (returning, [])
