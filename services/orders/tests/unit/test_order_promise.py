"""The promise counted at acceptance: dispatch-by and delivery window in business days of the
market's calendar (weekends and holidays off), the expected days counted by hand."""

from datetime import UTC, date, datetime

import pytest

from conveyor_contracts.business_days import DEFAULT_HOLIDAYS, BusinessCalendar
from orders.domain.promise import Promise, PromisePolicy, Window, promise_for
from orders.settings import OrdersSettings

POLICY = PromisePolicy()


def test_a_us_order_on_the_wednesday_before_thanksgiving_dispatches_the_monday_after() -> None:
    # 22:00 in New York on Wednesday 2026-11-25 (already Thursday in UTC). Handling: Thursday
    # 26 is Thanksgiving, so Friday 27 (1), Monday 30 (2). Standard, 2 to 5 business days
    # from Monday 30: Tue 1 (1), Wed 2 (2) ... Thu 3, Fri 4, Mon 7 (5).
    accepted_at = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert promise_for(POLICY, "US", "standard", accepted_at) == Promise(
        dispatch_by=datetime(2026, 12, 1, 4, 59, 59, tzinfo=UTC),  # Nov 30 23:59:59 EST
        delivery=Window(date(2026, 12, 2), date(2026, 12, 7)),
    )
    express = promise_for(POLICY, "US", "express", accepted_at)
    assert express is not None
    assert express.delivery == Window(date(2026, 12, 1), date(2026, 12, 2))


def test_a_us_order_on_a_friday_counts_its_days_over_the_weekend() -> None:
    # Friday 2026-12-04, 15:00 in New York: Mon 7 (1), Tue 8 (2) to dispatch; then Wed 9 (1),
    # Thu 10 (2), Fri 11 (3), Mon 14 (4), Tue 15 (5).
    accepted_at = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert promise_for(POLICY, "US", "standard", accepted_at) == Promise(
        dispatch_by=datetime(2026, 12, 9, 4, 59, 59, tzinfo=UTC),
        delivery=Window(date(2026, 12, 10), date(2026, 12, 15)),
    )


def test_a_gb_order_on_the_summer_bank_holiday_weekend_starts_counting_on_tuesday() -> None:
    # 00:30 in London on Saturday 2026-08-29 (still Friday in UTC); Monday 31 is the summer
    # bank holiday: counting starts Tuesday 1 September, Wed 2 (1), Thu 3 (2) to dispatch, by
    # 23:59:59 BST. Standard, 1 to 3 days: Fri 4 (1), Mon 7 (2), Tue 8 (3).
    accepted_at = datetime(2026, 8, 28, 23, 30, tzinfo=UTC)
    assert promise_for(POLICY, "GB", "standard", accepted_at) == Promise(
        dispatch_by=datetime(2026, 9, 3, 22, 59, 59, tzinfo=UTC),
        delivery=Window(date(2026, 9, 4), date(2026, 9, 8)),
    )


def test_a_gb_order_on_christmas_eve_waits_out_christmas_and_boxing_day() -> None:
    # Thursday 2026-12-24: Fri 25 and Mon 28 (Boxing Day observed) are off, the weekend too:
    # Tue 29 (1), Wed 30 (2). Express, 1 day: Thu 31. Standard's 3rd: Thu 31, (Fri 1 January
    # off) Mon 4, Tue 5.
    accepted_at = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
    express = promise_for(POLICY, "GB", "express", accepted_at)
    standard = promise_for(POLICY, "GB", "standard", accepted_at)
    assert express == Promise(
        datetime(2026, 12, 30, 23, 59, 59, tzinfo=UTC),
        Window(date(2026, 12, 31), date(2026, 12, 31)),
    )
    assert standard is not None
    assert standard.delivery == Window(date(2026, 12, 31), date(2027, 1, 5))


def test_the_holidays_and_days_are_configuration() -> None:
    # Without Thanksgiving off: Wed 25, then Thu 26 (1), Fri 27 (2); one handling day: Thu 26.
    settings = OrdersSettings(holidays={"US": []}, handling_business_days=1)
    policy = settings.promise_policy()
    promise = promise_for(policy, "US", "standard", datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert promise is not None
    assert promise.dispatch_by == datetime(2026, 11, 27, 4, 59, 59, tzinfo=UTC)
    assert policy.calendar == BusinessCalendar.of({**DEFAULT_HOLIDAYS, "US": []})
    assert not policy.calendar.is_business_day("GB", date(2026, 12, 28))  # kept its own


def test_a_window_named_in_the_settings_replaces_only_its_own_default() -> None:
    policy = OrdersSettings(delivery_windows={"CA": {"express": (2, 4)}}).promise_policy()
    assert policy.windows["CA"] == {"standard": (3, 7), "express": (2, 4)}
    assert policy.windows["US"] == {"standard": (2, 5), "express": (1, 2)}


def test_windows_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="US/standard"):
        OrdersSettings(delivery_windows={"US": {"standard": (5, 2)}})


def test_the_settings_read_their_json_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_DELIVERY_WINDOWS", '{"GB": {"standard": [2, 4]}}')
    monkeypatch.setenv("ORDERS_HOLIDAYS", '{"GB": ["2026-12-29"]}')
    policy = OrdersSettings().promise_policy()
    assert policy.windows["GB"]["standard"] == (2, 4)
    assert not policy.calendar.is_business_day("GB", date(2026, 12, 29))
    assert policy.calendar.is_business_day("GB", date(2026, 12, 28))


def test_the_settings_default_to_the_national_holidays() -> None:
    calendar = OrdersSettings().promise_policy().calendar
    assert not calendar.is_business_day("US", date(2026, 11, 26))
    assert not calendar.is_business_day("GB", date(2026, 12, 28))
    assert calendar.is_business_day("CA", date(2026, 11, 26))


def test_a_market_without_a_window_is_promised_nothing() -> None:
    policy = PromisePolicy(windows={"US": {"standard": (2, 5)}})
    assert promise_for(policy, "US", "express", datetime(2026, 12, 4, tzinfo=UTC)) is None
