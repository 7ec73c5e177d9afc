"""Which carrier to ask: the cheapest that serves the route and keeps the promise.

Pure: capacity is checked by the caller, who walks the ranking and takes the first carrier with
room left today.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from conveyor_contracts.address import PostalAddress
from shipping.domain.catalogue import Carrier, ServiceLevel, price, serves


@dataclass(frozen=True)
class Route:
    origin: PostalAddress
    destination: PostalAddress
    service_level: ServiceLevel
    grams: int  # the heaviest parcel of the shipment decides the band


@dataclass(frozen=True)
class Option:
    carrier: Carrier
    price_minor: int
    pickup_by: datetime
    arrives_by: datetime

    def keeps(self, deliver_by: datetime) -> bool:
        return self.arrives_by <= deliver_by


def ranked_options(
    carriers: Iterable[Carrier],
    route: Route,
    *,
    now: datetime,
    deliver_by: datetime,
    exclude: Iterable[str] = (),
) -> list[Option]:
    """Carriers to ask, best first: those that keep the promise by price, then (only when none
    can, say on a late re-booking) the rest by how soon they deliver; ties by code, so stable."""
    tried = set(exclude)
    options = []
    for carrier in carriers:
        if carrier.code in tried or not serves(carrier, route.destination, route.service_level):
            continue
        try:
            cost = price(carrier, route.origin, route.destination, route.grams)
        except ValueError:
            continue  # too heavy for this carrier
        pickup_by = now + timedelta(hours=carrier.pickup_window_hours)
        arrives_by = pickup_by + timedelta(days=carrier.transit_days[route.service_level])
        options.append(Option(carrier, cost, pickup_by, arrives_by))
    on_time = sorted(
        (o for o in options if o.keeps(deliver_by)), key=lambda o: (o.price_minor, o.carrier.code)
    )
    late = sorted(
        (o for o in options if not o.keeps(deliver_by)),
        key=lambda o: (o.arrives_by, o.price_minor, o.carrier.code),
    )
    return on_time + late
