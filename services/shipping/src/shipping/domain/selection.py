"""Which carrier to ask: the cheapest that serves the route and keeps the promise, its price
weighed by how punctual it has been.

Pure: capacity is checked by the caller, who walks the ranking and takes the first carrier with
room left today.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from conveyor_contracts.address import PostalAddress
from shipping.domain.catalogue import Carrier, ServiceLevel, price, serves
from shipping.domain.scorecards import Figure


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


@dataclass(frozen=True)
class Punctuality:
    """How much a carrier's lateness costs it in the ranking: its price counts as
    ``price * (1 + weight * (1 - on-time rate))`` over the last 30 days; a carrier with fewer
    than ``min_deliveries`` deliveries then (no record is not a bad record), or a weight of 0,
    ranks on price alone."""

    on_time: Mapping[str, Figure] = field(default_factory=dict)
    weight: float = 0.0
    min_deliveries: int = 20

    def weighted(self, option: Option) -> Fraction:
        """The option's price as the ranking weighs it (exact, so ties stay ties)."""
        figure = self.on_time.get(option.carrier.code)
        if not self.weight or figure is None or figure.denominator < max(self.min_deliveries, 1):
            return Fraction(option.price_minor)
        late = 1 - Fraction(figure.numerator, figure.denominator)
        return option.price_minor * (1 + Fraction(self.weight) * late)


PRICE_ALONE = Punctuality()  # today's ranking: no weight on punctuality


def ranked_options(
    carriers: Iterable[Carrier],
    route: Route,
    *,
    now: datetime,
    deliver_by: datetime,
    exclude: Iterable[str] = (),
    punctuality: Punctuality | None = None,
) -> list[Option]:
    """Carriers to ask, best first: those that keep the promise by price (weighed by
    ``punctuality``), then (only when none can, say on a late re-booking) the rest by how soon
    they deliver; ties by code, so stable."""
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
    weighted = (punctuality or PRICE_ALONE).weighted
    on_time = sorted(
        (o for o in options if o.keeps(deliver_by)),
        key=lambda o: (weighted(o), o.price_minor, o.carrier.code),
    )
    late = sorted(
        (o for o in options if not o.keeps(deliver_by)),
        key=lambda o: (o.arrives_by, weighted(o), o.price_minor, o.carrier.code),
    )
    return on_time + late
