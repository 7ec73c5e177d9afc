"""Business days per market: what "dispatch within two business days" and a delivery window
mean, the same for every service that reads them.

A day counts in the market's own calendar (its local date, in one reference time zone per
market) unless it is a weekend or one of the market's holidays. The holidays are configuration:
``DEFAULT_HOLIDAYS`` holds the national ones of 2026 and 2027 (US federal, Canadian federal and
England and Wales bank holidays, with their observed weekdays), and each service's settings can
replace them.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

# One reference zone per market: where the shop's cut-offs are counted (a dispatch-by falls at
# the end of a day there), not where every buyer lives.
MARKET_TIME_ZONES: Mapping[str, ZoneInfo] = MappingProxyType(
    {
        "US": ZoneInfo("America/New_York"),
        "CA": ZoneInfo("America/Toronto"),
        "GB": ZoneInfo("Europe/London"),
    }
)


def _days(*iso: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(day) for day in iso)


DEFAULT_HOLIDAYS: Mapping[str, frozenset[date]] = MappingProxyType(
    {
        "US": _days(
            "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
            "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
            "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05",
            "2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-31",
        ),
        "CA": _days(
            "2026-01-01", "2026-04-03", "2026-05-18", "2026-07-01", "2026-09-07", "2026-09-30",
            "2026-10-12", "2026-11-11", "2026-12-25", "2026-12-28",
            "2027-01-01", "2027-03-26", "2027-05-24", "2027-07-01", "2027-09-06", "2027-09-30",
            "2027-10-11", "2027-11-11", "2027-12-27", "2027-12-28",
        ),
        "GB": _days(
            "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
            "2026-12-25", "2026-12-28",
            "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
            "2027-12-27", "2027-12-28",
        ),
    }
)  # fmt: skip

_LONGEST_RUN_OFF = 30  # more days off in a row than any calendar has: a configuration error


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekends and holidays off, per market."""

    holidays: Mapping[str, frozenset[date]] = field(default_factory=lambda: DEFAULT_HOLIDAYS)

    @classmethod
    def of(cls, holidays: Mapping[str, Iterable[date]]) -> "BusinessCalendar":
        return cls(MappingProxyType({m: frozenset(days) for m, days in holidays.items()}))

    def is_business_day(self, market: str, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays.get(market, frozenset())

    def local_date(self, market: str, at: datetime) -> date:
        """The market's date at the instant ``at``."""
        return at.astimezone(MARKET_TIME_ZONES[market]).date()

    def end_of_day(self, market: str, day: date) -> datetime:
        """The last second of ``day`` in the market, in UTC."""
        local = datetime.combine(day, time(23, 59, 59), MARKET_TIME_ZONES[market])
        return local.astimezone(UTC)

    def next_business_day(self, market: str, day: date) -> date:
        """``day`` if it is a business day, else the first one after it."""
        for offset in range(_LONGEST_RUN_OFF):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(market, candidate):
                return candidate
        raise ValueError(f"no business day in {_LONGEST_RUN_OFF} days from {day} in {market}")

    def add(self, market: str, day: date, business_days: int) -> date:
        """The business day ``business_days`` after ``day`` (counted from the first business day
        on or after it: an order placed on a Saturday starts counting on Monday)."""
        current = self.next_business_day(market, day)
        for _ in range(business_days):
            current = self.next_business_day(market, current + timedelta(days=1))
        return current
