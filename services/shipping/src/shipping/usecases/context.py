"""What every shipping use case works with: its repositories, its policy, its clock."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from conveyor_contracts.address import Site
from conveyor_contracts.business_days import BusinessCalendar
from conveyor_runtime.outlet import Cause
from shipping.domain.booking import BookingRules
from shipping.domain.capacity import CarrierSlot, slots_let_go
from shipping.domain.catalogue import Carrier, ServiceLevel
from shipping.domain.events import ShippingEvent
from shipping.domain.forecast import Forecasting
from shipping.domain.scorecards import Figure
from shipping.domain.selection import Punctuality
from shipping.domain.shipment import Fulfilment
from shipping.ports import CarrierCapacity, Change, FulfilmentRepository
from shipping.settings import ShippingSettings


@dataclass(frozen=True)
class Policy:
    carriers: tuple[Carrier, ...]
    sites: dict[str, Site]
    promise_days: dict[ServiceLevel, int]
    acceptance_timeout: timedelta
    max_booking_attempts: int
    max_delivery_attempts: int
    silence: timedelta
    unit_weight_grams: int
    retention: timedelta  # personal data kept this long once the order settled
    calendar: BusinessCalendar  # the markets' business days: promises and forecasts
    on_time_weight: float  # how much lateness costs a carrier in the ranking
    on_time_min_deliveries: int  # deliveries in 30 days that make a record

    @classmethod
    def of(cls, settings: ShippingSettings, calendar: BusinessCalendar | None = None) -> "Policy":
        """The settings' policy, on ``calendar`` (by default, the settings' holidays)."""
        return cls(
            carriers=settings.carriers,
            sites={site.warehouse_id: site for site in settings.sites},
            promise_days=dict(settings.promise_days),
            acceptance_timeout=timedelta(seconds=settings.acceptance_timeout_seconds),
            max_booking_attempts=settings.max_booking_attempts,
            max_delivery_attempts=settings.max_delivery_attempts,
            silence=timedelta(seconds=settings.tracking_silence_seconds),
            unit_weight_grams=settings.unit_weight_grams,
            retention=timedelta(seconds=settings.personal_data_retention_seconds),
            calendar=calendar or calendar_of(settings),
            on_time_weight=settings.on_time_weight,
            on_time_min_deliveries=settings.on_time_min_deliveries,
        )

    def carrier(self, code: str) -> Carrier | None:
        return next((c for c in self.carriers if c.code == code), None)

    @property
    def booking(self) -> BookingRules:
        return BookingRules(
            self.sites,
            self.promise_days,
            self.acceptance_timeout,
            self.unit_weight_grams,
            self.calendar,
        )

    @property
    def forecasting(self) -> Forecasting:
        return Forecasting(self.calendar, self.carriers)

    def punctuality(self, on_time: Mapping[str, Figure]) -> Punctuality:
        """How the ranking weighs the carriers' 30-day on-time figures ``on_time``."""
        return Punctuality(on_time, self.on_time_weight, self.on_time_min_deliveries)


def calendar_of(settings: ShippingSettings) -> BusinessCalendar:
    """The markets' business days: weekends and the settings' holidays off."""
    return BusinessCalendar.of({str(market): days for market, days in settings.holidays.items()})


def _not_counted(carrier_code: str) -> None:
    pass


def _no_record() -> Mapping[str, Figure]:
    return {}


@dataclass(frozen=True)
class Shipping:
    fulfilments: FulfilmentRepository
    capacity: CarrierCapacity
    policy: Policy
    clock: Callable[[], datetime]
    # Counts a report a carrier sent about a shipment it does not hold, by that carrier.
    count_foreign_report: Callable[[str], None] = _not_counted
    # The carriers' 30-day on-time figures as last counted (none: every carrier on price alone).
    on_time: Callable[[], Mapping[str, Figure]] = _no_record


async def upsert(
    shipping: Shipping, order_id: str, correlation_id: str, change: Change, cause: Cause
) -> None:
    """Apply ``change`` to the order's fulfilment, creating it first if this is its first fact
    (the order's reservation and acceptance arrive on different topics, in either order): its
    correlation id, which everything it emits carries, is then that fact's."""
    new = Fulfilment(order_id, correlation_id)
    await shipping.fulfilments.upsert(order_id, change, new, cause)


def freeing_slots(change: Change) -> tuple[Change, list[CarrierSlot]]:
    """``change``, noting the carrier slots it lets go of (as of its last run: an update may run
    it again on a conflict), for ``give_back`` once the change is stored."""
    freed: list[CarrierSlot] = []

    def noting(before: Fulfilment) -> tuple[Fulfilment, Sequence[ShippingEvent]]:
        after, events = change(before)
        freed[:] = slots_let_go(before, after)
        return after, events

    return noting, freed


async def give_back(slots: list[CarrierSlot], shipping: Shipping) -> None:
    for slot in slots:
        await shipping.capacity.release(slot.carrier_code, slot.day, slot.shipment_id)
