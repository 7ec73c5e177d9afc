"""Ranking weighs a carrier's 30-day on-time rate next to its price:
``price x (1 + weight x (1 - on-time rate))``, price alone below the deliveries that make a
record. From New Jersey to New York, libertyparcel costs 649 and swiftpost 899 (standard)."""

from dataclasses import replace
from datetime import UTC, datetime

from shipping_order_steps import ORDER, booked
from shipping_testkit import world

from conveyor_contracts.address import PostalAddress
from shipping.domain.catalogue import DEFAULT_CARRIERS, DEFAULT_SITES
from shipping.domain.scorecards import Figure
from shipping.domain.selection import Punctuality, Route, ranked_options
from shipping.domain.shipment import promised_by

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
NEW_JERSEY = next(site.address for site in DEFAULT_SITES if site.warehouse_id == "WH-US-NJ1")
NEW_YORK = PostalAddress(
    address_lines=["350 Fifth Avenue"],
    city="New York",
    region="NY",
    postal_code="10118",
    country="US",
)
# libertyparcel on time for half its 50 deliveries, swiftpost for 47 of 50.
LATE_AND_PUNCTUAL = {"libertyparcel": Figure(25, 50), "swiftpost": Figure(47, 50)}


def ranked(punctuality: Punctuality | None) -> list[str]:
    ranking = ranked_options(
        DEFAULT_CARRIERS,
        Route(NEW_JERSEY, NEW_YORK, "standard", 500),
        now=NOW,
        deliver_by=promised_by(NOW, 5),
        punctuality=punctuality,
    )
    return [option.carrier.code for option in ranking]


def test_a_cheaper_but_late_carrier_loses_the_route_to_a_punctual_one() -> None:
    # libertyparcel: 649 x (1 + 1.0 x (1 - 25/50)) = 649 x 1.5  = 973.50
    # swiftpost:     899 x (1 + 1.0 x (1 - 47/50)) = 899 x 1.06 = 952.94
    assert ranked(Punctuality(LATE_AND_PUNCTUAL, weight=1.0)) == ["swiftpost", "libertyparcel"]
    weighted = Punctuality(LATE_AND_PUNCTUAL, weight=1.0).weighted
    options = ranked_options(
        DEFAULT_CARRIERS,
        Route(NEW_JERSEY, NEW_YORK, "standard", 500),
        now=NOW,
        deliver_by=promised_by(NOW, 5),
    )
    assert {o.carrier.code: float(weighted(o)) for o in options} == {
        "libertyparcel": 973.5,
        "swiftpost": 952.94,
    }


def test_with_no_weight_or_a_light_one_price_still_decides() -> None:
    assert ranked(None) == ["libertyparcel", "swiftpost"]  # today's ranking
    assert ranked(Punctuality(LATE_AND_PUNCTUAL, weight=0.0)) == ["libertyparcel", "swiftpost"]
    # weight 0.5: libertyparcel 649 x 1.25 = 811.25, swiftpost 899 x 1.03 = 925.97
    assert ranked(Punctuality(LATE_AND_PUNCTUAL, weight=0.5)) == ["libertyparcel", "swiftpost"]


def test_too_few_deliveries_is_no_record_and_ranks_on_price_alone() -> None:
    # 19 deliveries, 5 on time: below 20, so libertyparcel counts 649 against swiftpost's 952.94
    few = {"libertyparcel": Figure(5, 19), "swiftpost": Figure(47, 50)}
    assert ranked(Punctuality(few, weight=1.0, min_deliveries=20)) == [
        "libertyparcel",
        "swiftpost",
    ]
    # 20 deliveries, 10 on time, make a record: 649 x 1.5 = 973.50 > 952.94
    enough = {"libertyparcel": Figure(10, 20), "swiftpost": Figure(47, 50)}
    assert ranked(Punctuality(enough, weight=1.0, min_deliveries=20)) == [
        "swiftpost",
        "libertyparcel",
    ]
    # a carrier never counted ranks on price: 649 < swiftpost's 952.94
    assert ranked(Punctuality({"swiftpost": Figure(47, 50)}, weight=1.0)) == [
        "libertyparcel",
        "swiftpost",
    ]
    # nothing delivered, even with no minimum: no rate, price alone
    none = {"libertyparcel": Figure(0, 0), "swiftpost": Figure(47, 50)}
    assert ranked(Punctuality(none, weight=1.0, min_deliveries=0)) == [
        "libertyparcel",
        "swiftpost",
    ]


async def first_carrier(**settings: float) -> str:
    """The carrier booking asks first, with the carriers' figures above as last counted."""
    w = world(**settings)
    w.shipping = replace(w.shipping, on_time=lambda: LATE_AND_PUNCTUAL)
    [shp] = await booked(w)
    fulfilment = await w.fulfilments.get(ORDER)
    shipment = fulfilment.shipment(shp) if fulfilment else None
    assert shipment is not None
    assert shipment.carrier_code is not None
    return shipment.carrier_code


async def test_booking_asks_the_punctual_carrier_and_the_cheaper_one_with_weight_zero() -> None:
    assert await first_carrier() == "swiftpost"  # the default weight, 1.0
    assert await first_carrier(on_time_weight=0.0) == "libertyparcel"
    # a minimum neither carrier reaches: price alone
    assert await first_carrier(on_time_min_deliveries=51) == "libertyparcel"
