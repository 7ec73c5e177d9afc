"""When an outbound parcel is now expected, and whether that passes the promise made to the
buyer: pure rules.

The forecast is a day in the destination market's calendar, from the carrier's transit record
(the catalogue's ``transit_days`` for the order's service level, in business days): the
selection's expected arrival at booking, re-forecast from the pickup and from each scan the
carrier tells. Passing the promised window's last day is told once per parcel (``Delayed``);
a forecast back inside the window later does not undo it. Returns and orders without a promise
(older producers) are forecast nothing and tell nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.values import DeliveryWindow
from shipping.domain.catalogue import Carrier
from shipping.domain.events import Delayed
from shipping.domain.shipment import OrderDetails, Scan, Shipment
from shipping.domain.tracking import PickedUp, Scanned, TrackingFact

# Scans that hold a parcel up: the day after at the earliest (a failed delivery only when the
# carrier tries again; otherwise the parcel goes back, and no arrival is expected).
_HOLDS_UP = frozenset({"in_transit", "exception"})


@dataclass(frozen=True)
class Forecasting:
    """What a forecast takes: the markets' business days and each carrier's transit record."""

    calendar: BusinessCalendar
    carriers: tuple[Carrier, ...] = ()

    def transit_days(self, carrier_code: str | None, details: OrderDetails) -> int | None:
        carrier = next((c for c in self.carriers if c.code == carrier_code), None)
        return None if carrier is None else carrier.transit_days.get(details.service_level)


def at_booking(calendar: BusinessCalendar, market: str, arrives_by: datetime) -> date:
    """The chosen carrier's expected arrival, as the market's date."""
    return calendar.local_date(market, arrives_by)


def on_pickup(
    calendar: BusinessCalendar, market: str, picked_up_at: datetime, transit_days: int
) -> date:
    """``transit_days`` business days after the pickup's local date."""
    return calendar.add(market, calendar.local_date(market, picked_up_at), transit_days)


def after_scan(
    calendar: BusinessCalendar, market: str, forecast: date | None, scan: Scan, will_retry: bool
) -> date | None:
    """The forecast once the carrier told ``scan``: out for delivery, that day; still on its way
    or held up, not before the next business day; anything else leaves it as it was."""
    day = calendar.local_date(market, scan.scanned_at)
    if scan.status == "out_for_delivery":
        return day
    if scan.status in _HOLDS_UP or (scan.status == "delivery_failed" and will_retry):
        earliest = calendar.next_business_day(market, day + timedelta(days=1))
        return earliest if forecast is None else max(forecast, earliest)
    return forecast


def after_facts(
    shipment: Shipment,
    facts: Iterable[TrackingFact],
    details: OrderDetails,
    forecasting: Forecasting,
    will_retry: bool,
) -> date | None:
    """The outbound ``shipment``'s forecast once the facts its newest scan gave are told."""
    calendar, market = forecasting.calendar, details.market
    forecast = shipment.forecast_delivery
    for fact in facts:
        match fact:
            case PickedUp(at=at):
                transit = forecasting.transit_days(shipment.carrier_code, details)
                if transit is not None:
                    forecast = on_pickup(calendar, market, at, transit)
            case Scanned(scan=scan):
                forecast = after_scan(calendar, market, forecast, scan, will_retry)
    return forecast


def reforecast(
    order_id: str, shipment: Shipment, forecast: date | None, promise: DeliveryWindow | None
) -> tuple[Shipment, list[Delayed]]:
    """``shipment`` expected on ``forecast``, and ``Delayed`` the first time that passes the
    promised window's last day (outbound parcels of orders with a promise only)."""
    if shipment.returning:
        return shipment, []
    forecast_shipment = replace(shipment, forecast_delivery=forecast)
    if promise is None or forecast is None or shipment.delay_told or forecast <= promise.latest:
        return forecast_shipment, []
    told = replace(forecast_shipment, delay_told=True)
    return told, [Delayed(order_id, told, promise.latest, forecast)]
