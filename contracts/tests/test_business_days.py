"""Business days per market: weekends and each market's own holidays are off."""

from datetime import UTC, date, datetime

import pytest

from conveyor_contracts.business_days import DEFAULT_HOLIDAYS, BusinessCalendar

CALENDAR = BusinessCalendar()


def test_a_weekend_is_off_everywhere_and_a_holiday_only_in_its_market() -> None:
    thanksgiving = date(2026, 11, 26)  # a Thursday: off in the US, a working day in GB
    assert not CALENDAR.is_business_day("US", thanksgiving)
    assert CALENDAR.is_business_day("GB", thanksgiving)
    assert not CALENDAR.is_business_day("GB", date(2026, 11, 28))  # a Saturday


def test_counting_starts_on_the_first_business_day_and_skips_holidays() -> None:
    # Wednesday 25 November 2026 + 2 business days in the US: Thursday is Thanksgiving, so
    # Friday 27 and Monday 30.
    assert CALENDAR.add("US", date(2026, 11, 25), 2) == date(2026, 11, 30)
    # The same in Canada, where Thanksgiving was in October: Thursday 26, Friday 27.
    assert CALENDAR.add("CA", date(2026, 11, 25), 2) == date(2026, 11, 27)
    # Placed on Saturday 26 December 2026 in GB: Monday 28 is the Boxing Day substitute, so
    # counting starts on Tuesday 29; one business day later is Wednesday 30.
    assert CALENDAR.add("GB", date(2026, 12, 26), 1) == date(2026, 12, 30)
    assert CALENDAR.add("GB", date(2026, 12, 26), 0) == date(2026, 12, 29)


def test_a_days_end_is_the_markets_midnight_in_utc() -> None:
    assert CALENDAR.end_of_day("US", date(2026, 12, 4)) == datetime(
        2026, 12, 5, 4, 59, 59, tzinfo=UTC
    )  # New York is UTC-5 in December
    assert CALENDAR.end_of_day("GB", date(2026, 7, 1)) == datetime(
        2026, 7, 1, 22, 59, 59, tzinfo=UTC
    )  # London is UTC+1 in summer
    late_evening = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # still the 4th in New York
    assert CALENDAR.local_date("US", late_evening) == date(2026, 12, 4)


def test_holidays_come_from_configuration() -> None:
    extra = {**DEFAULT_HOLIDAYS, "US": DEFAULT_HOLIDAYS["US"] | {date(2026, 12, 24)}}
    calendar = BusinessCalendar.of(extra)
    assert calendar.add("US", date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert CALENDAR.add("US", date(2026, 12, 23), 1) == date(2026, 12, 24)


def test_every_default_holiday_is_a_weekday_since_weekends_are_off_anyway() -> None:
    # An observed holiday lands on a weekday; a weekend date in the list is a typo.
    weekend = [day for days in DEFAULT_HOLIDAYS.values() for day in days if day.weekday() >= 5]
    assert weekend == []


def test_a_calendar_with_no_business_day_for_a_month_is_refused() -> None:
    start = date(2026, 1, 1)
    all_off = BusinessCalendar.of(
        {"US": {date.fromordinal(start.toordinal() + n) for n in range(40)}}
    )
    with pytest.raises(ValueError, match="no business day"):
        all_off.add("US", start, 1)
