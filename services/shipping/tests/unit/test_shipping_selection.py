"""Ranking the carriers for a route: who serves it, who keeps the promise, who is cheapest."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from conveyor_contracts.address import PostalAddress
from shipping.domain.catalogue import DEFAULT_CARRIERS, DEFAULT_SITES, Carrier, ServiceLevel
from shipping.domain.selection import Option, Route, ranked_options
from shipping.domain.shipment import promised_by

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
SITES = {site.warehouse_id: site.address for site in DEFAULT_SITES}
# The default promises: standard by the end of the fifth day, express by the end of the second.
STANDARD_PROMISE = promised_by(NOW, 5)
EXPRESS_PROMISE = promised_by(NOW, 2)


def address(country: str, postal_code: str, region: str | None = None) -> PostalAddress:
    return PostalAddress.model_validate(
        {
            "address_lines": ["1 Test Street"],
            "city": "Testville",
            "region": region,
            "postal_code": postal_code,
            "country": country,
        }
    )


NEWARK = address("US", "07102", "NJ")
NEW_YORK = address("US", "10118", "NY")
DALLAS = address("US", "75201", "TX")
TORONTO = address("CA", "M5V 3L9", "ON")
MONTREAL = address("CA", "H2Y 1C6", "QC")
VANCOUVER = address("CA", "V6B 1A1", "BC")
EDINBURGH = address("GB", "EH1 1YZ")
GLASGOW = address("GB", "g1 1xq")
WESTMINSTER = address("GB", "SW1A 1AA")


def route(
    warehouse: str, destination: PostalAddress, level: ServiceLevel = "standard", grams: int = 500
) -> Route:
    return Route(SITES[warehouse], destination, level, grams)


def ranked(
    warehouse: str,
    destination: PostalAddress,
    level: ServiceLevel = "standard",
    grams: int = 500,
    exclude: Iterable[str] = (),
) -> list[tuple[str, int]]:
    """(carrier, price) best first among the default carriers, against the default promise."""
    promise = STANDARD_PROMISE if level == "standard" else EXPRESS_PROMISE
    ranking = ranked_options(
        DEFAULT_CARRIERS,
        route(warehouse, destination, level, grams),
        now=NOW,
        deliver_by=promise,
        exclude=exclude,
    )
    return [(option.carrier.code, option.price_minor) for option in ranking]


def test_the_regional_carrier_is_cheaper_than_the_national_one_within_its_area() -> None:
    assert ranked("WH-US-NJ1", NEW_YORK) == [("libertyparcel", 649), ("swiftpost", 899)]
    assert ranked("WH-US-NJ1", NEWARK) == [("libertyparcel", 499), ("swiftpost", 699)]


def test_outside_the_regional_carriers_area_only_the_national_carrier_is_asked() -> None:
    assert ranked("WH-US-NJ1", DALLAS) == [("swiftpost", 899)]
    assert ranked("WH-US-CA1", address("US", "94105", "CA")) == [("swiftpost", 699)]


def test_express_ranks_only_the_carriers_offering_express() -> None:
    assert ranked("WH-US-NJ1", NEW_YORK, "express") == [("swiftpost", 899)]
    assert ranked("WH-GB-LON1", EDINBURGH, "express") == [("thamesparcel", 499)]


def test_a_canadian_route_ranks_the_carriers_of_canada() -> None:
    assert ranked("WH-CA-ON1", TORONTO) == [("borealexpress", 799), ("maplefreight", 899)]
    assert ranked("WH-CA-BC1", VANCOUVER) == [("maplefreight", 899)]
    assert ranked("WH-CA-ON1", VANCOUVER) == [("maplefreight", 1199)]


def test_a_british_route_ranks_the_carriers_of_great_britain_by_postcode_area() -> None:
    assert ranked("WH-GB-LON1", EDINBURGH) == [("highlandcourier", 449), ("thamesparcel", 499)]
    assert ranked("WH-GB-MAN1", GLASGOW) == [("highlandcourier", 449), ("thamesparcel", 499)]
    assert ranked("WH-GB-LON1", WESTMINSTER) == [("thamesparcel", 499)]
    assert ranked("WH-GB-LON1", address("GB", "IG1 1AA")) == [("thamesparcel", 399)]


def test_a_carrier_that_takes_no_parcel_that_heavy_is_left_out() -> None:
    assert ranked("WH-US-NJ1", NEW_YORK, grams=30_000) == [
        ("libertyparcel", 1999),
        ("swiftpost", 2699),
    ]
    assert ranked("WH-US-NJ1", NEW_YORK, grams=30_001) == [("swiftpost", 2699)]
    assert ranked("WH-US-NJ1", NEW_YORK, grams=70_001) == []


def test_each_carrier_is_priced_at_the_band_the_routes_weight_falls_in() -> None:
    assert ranked("WH-CA-ON1", TORONTO, grams=1000) == [
        ("borealexpress", 799),
        ("maplefreight", 899),
    ]
    assert ranked("WH-CA-ON1", TORONTO, grams=5000) == [
        ("borealexpress", 1199),
        ("maplefreight", 1399),
    ]


def test_carriers_already_tried_are_not_ranked_again() -> None:
    assert ranked("WH-US-NJ1", NEW_YORK, exclude=["libertyparcel"]) == [("swiftpost", 899)]
    assert ranked("WH-US-NJ1", NEW_YORK, exclude=("libertyparcel", "swiftpost")) == []
    assert ranked("WH-US-NJ1", NEW_YORK, exclude=["maplefreight"]) == [
        ("libertyparcel", 649),
        ("swiftpost", 899),
    ]


def test_a_route_nobody_serves_ranks_no_carrier() -> None:
    assert ranked_options((), route("WH-US-NJ1", NEW_YORK), now=NOW, deliver_by=NOW) == []
    assert ranked("WH-US-NJ1", address("US", "10118"), exclude=["swiftpost"]) == []


def test_an_option_is_collected_within_the_pickup_window_and_arrives_after_the_transit() -> None:
    [boreal, maple] = ranked_options(
        DEFAULT_CARRIERS, route("WH-CA-ON1", MONTREAL, "express"), now=NOW, deliver_by=NOW
    )
    assert (boreal.carrier.code, boreal.pickup_by, boreal.arrives_by) == (
        "borealexpress",
        NOW + timedelta(hours=12),
        NOW + timedelta(hours=12, days=1),
    )
    assert (maple.carrier.code, maple.pickup_by, maple.arrives_by) == (
        "maplefreight",
        NOW + timedelta(hours=24),
        NOW + timedelta(hours=24, days=2),
    )


def test_the_transit_time_of_the_routes_service_level_counts() -> None:
    [standard] = ranked_options(
        DEFAULT_CARRIERS, route("WH-US-NJ1", DALLAS), now=NOW, deliver_by=STANDARD_PROMISE
    )
    [express] = ranked_options(
        DEFAULT_CARRIERS, route("WH-US-NJ1", DALLAS, "express"), now=NOW, deliver_by=NOW
    )
    assert standard.arrives_by == NOW + timedelta(days=1 + 3)
    assert express.arrives_by == NOW + timedelta(days=1 + 1)


def test_a_promise_arriving_at_its_last_second_is_kept_and_a_second_later_is_not() -> None:
    option = Option(DEFAULT_CARRIERS[0], 100, pickup_by=NOW, arrives_by=NOW + timedelta(days=1))
    assert option.keeps(NOW + timedelta(days=1))
    assert option.keeps(NOW + timedelta(days=2))
    assert not option.keeps(NOW + timedelta(days=1) - timedelta(seconds=1))


def test_a_carrier_that_would_break_the_express_promise_ranks_after_one_keeping_it() -> None:
    # Montreal from Mississauga by the end of the second day: boreal arrives on day two at 00:00,
    # maple on day three at noon.
    assert ranked("WH-CA-ON1", MONTREAL, "express") == [
        ("borealexpress", 999),
        ("maplefreight", 1199),
    ]
    [option] = ranked_options(
        DEFAULT_CARRIERS,
        route("WH-CA-ON1", VANCOUVER, "express"),
        now=NOW,
        deliver_by=EXPRESS_PROMISE,
    )
    assert not option.keeps(EXPRESS_PROMISE)  # late, and still the one to ask


def terms(code: str, price_minor: int, transit_days: int, window_hours: float = 24) -> Carrier:
    """A carrier serving all of the US for one price, ``transit_days`` after its pickup."""
    return Carrier.model_validate(
        {
            "code": code,
            "market": "US",
            "transit_days": {"standard": transit_days},
            "rates": {zone: [{"max_grams": 70_000, "price_minor": price_minor}] for zone in (1, 2)},
            "daily_capacity": 10,
            "pickup_window_hours": window_hours,
        }
    )


def codes(carriers: list[Carrier], deliver_by: datetime) -> list[str]:
    ranking = ranked_options(carriers, route("WH-US-NJ1", DALLAS), now=NOW, deliver_by=deliver_by)
    return [option.carrier.code for option in ranking]


IN_THREE_DAYS = NOW + timedelta(days=3)


def test_any_carrier_keeping_the_promise_ranks_before_a_cheaper_late_one() -> None:
    carriers = [terms("cheapslow", 100, transit_days=5), terms("dearfast", 900, transit_days=1)]
    assert codes(carriers, IN_THREE_DAYS) == ["dearfast", "cheapslow"]


def test_carriers_keeping_the_promise_rank_by_price_not_speed() -> None:
    carriers = [terms("fastdear", 900, transit_days=1), terms("slowcheap", 100, transit_days=2)]
    assert codes(carriers, IN_THREE_DAYS) == ["slowcheap", "fastdear"]


def test_when_nobody_keeps_the_promise_the_soonest_arrival_ranks_first_whatever_it_costs() -> None:
    carriers = [
        terms("cheapslow", 100, transit_days=6),
        terms("dearsooner", 900, transit_days=4),
        terms("middling", 500, transit_days=5),
    ]
    assert codes(carriers, NOW) == ["dearsooner", "middling", "cheapslow"]


def test_a_shorter_pickup_window_can_make_the_arrival_sooner() -> None:
    carriers = [
        terms("dayslot", 100, 2, window_hours=24),
        terms("hourslot", 900, 2, window_hours=1),
    ]
    assert codes(carriers, NOW) == ["hourslot", "dayslot"]


def test_carriers_keeping_the_promise_at_the_same_price_rank_by_code_in_any_given_order() -> None:
    carriers = [terms("charlie", 500, 1), terms("alpha", 500, 2), terms("bravo", 500, 1)]
    assert codes(carriers, IN_THREE_DAYS) == ["alpha", "bravo", "charlie"]
    assert codes(carriers[::-1], IN_THREE_DAYS) == ["alpha", "bravo", "charlie"]


def test_late_carriers_arriving_together_rank_by_price_then_by_code() -> None:
    carriers = [terms("zulu", 100, 5), terms("charlie", 500, 5), terms("bravo", 500, 5)]
    assert codes(carriers, NOW) == ["zulu", "bravo", "charlie"]
    assert codes(carriers[::-1], NOW) == ["zulu", "bravo", "charlie"]


@pytest.mark.parametrize("deliver_by", [NOW, IN_THREE_DAYS, NOW + timedelta(days=30)])
def test_every_serving_carrier_is_ranked_once_whatever_the_promise(deliver_by: datetime) -> None:
    carriers = [terms("alpha", 300, 1), terms("bravo", 200, 4), terms("charlie", 100, 9)]
    assert sorted(codes(carriers, deliver_by)) == ["alpha", "bravo", "charlie"]
