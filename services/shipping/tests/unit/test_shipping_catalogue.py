"""The carrier catalogue: which areas a carrier serves, what it charges, and the default terms."""

from typing import Any

import pytest
from pydantic import ValidationError

from conveyor_contracts.address import PostalAddress
from shipping.domain.catalogue import (
    DEFAULT_CARRIERS,
    DEFAULT_SITES,
    Carrier,
    RateBand,
    area_of,
    price,
    serves,
)

CARRIERS = {carrier.code: carrier for carrier in DEFAULT_CARRIERS}
SITES = {site.warehouse_id: site.address for site in DEFAULT_SITES}


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


NEW_YORK = address("US", "10118", "NY")
DALLAS = address("US", "75201", "TX")
TORONTO = address("CA", "M5V 3L9", "ON")
VANCOUVER = address("CA", "V6B 1A1", "BC")
EDINBURGH = address("GB", "EH1 1YZ")
WESTMINSTER = address("GB", "SW1A 1AA")


def test_a_north_american_address_is_in_the_area_of_its_state_or_province() -> None:
    assert area_of(NEW_YORK) == "NY"
    assert area_of(TORONTO) == "ON"


def test_a_north_american_address_without_a_region_is_in_no_area() -> None:
    assert area_of(address("US", "10118")) == ""


@pytest.mark.parametrize(
    ("postal_code", "area"),
    [
        ("EH1 1YZ", "EH"),
        ("G1 1XQ", "G"),
        ("M17 1PG", "M"),
        ("sw1a 1aa", "SW"),
        ("  ig11 0tj", "IG"),
    ],
)
def test_a_british_address_is_in_its_postcode_area_as_typed_in_any_case(
    postal_code: str, area: str
) -> None:
    assert area_of(address("GB", postal_code)) == area


def test_a_british_postcode_without_leading_letters_is_in_no_area() -> None:
    assert area_of(address("GB", "12 345")) == ""


def test_a_british_address_ignores_any_region_it_was_given() -> None:
    assert area_of(address("GB", "EH1 1YZ", region="SCT")) == "EH"


def test_a_carrier_serves_only_its_own_market() -> None:
    assert serves(CARRIERS["swiftpost"], NEW_YORK, "standard")
    assert not serves(CARRIERS["swiftpost"], TORONTO, "standard")
    assert not serves(CARRIERS["maplefreight"], NEW_YORK, "standard")
    assert not serves(CARRIERS["thamesparcel"], TORONTO, "standard")


def test_a_carrier_serves_only_the_service_levels_it_offers() -> None:
    assert serves(CARRIERS["libertyparcel"], NEW_YORK, "standard")
    assert not serves(CARRIERS["libertyparcel"], NEW_YORK, "express")
    assert not serves(CARRIERS["highlandcourier"], EDINBURGH, "express")
    assert serves(CARRIERS["thamesparcel"], EDINBURGH, "express")


@pytest.mark.parametrize(
    ("code", "inside", "outside"),
    [
        ("libertyparcel", NEW_YORK, DALLAS),
        ("borealexpress", TORONTO, VANCOUVER),
        ("highlandcourier", EDINBURGH, WESTMINSTER),
    ],
)
def test_a_regional_carrier_serves_its_areas_and_no_other(
    code: str, inside: PostalAddress, outside: PostalAddress
) -> None:
    assert serves(CARRIERS[code], inside, "standard")
    assert not serves(CARRIERS[code], outside, "standard")


def test_a_regional_carrier_does_not_serve_an_address_in_no_area() -> None:
    assert not serves(CARRIERS["libertyparcel"], address("US", "10118"), "standard")
    assert not serves(CARRIERS["highlandcourier"], address("GB", "12 345"), "standard")


def test_a_carrier_without_areas_serves_its_whole_market_even_an_address_in_no_area() -> None:
    assert serves(CARRIERS["swiftpost"], DALLAS, "express")
    assert serves(CARRIERS["swiftpost"], address("US", "10118"), "standard")
    assert serves(CARRIERS["thamesparcel"], address("GB", "12 345"), "standard")


def test_a_parcel_within_the_warehouses_own_area_costs_the_zone_one_rate() -> None:
    newark = address("US", "07102", "NJ")
    assert price(CARRIERS["libertyparcel"], SITES["WH-US-NJ1"], newark, 500) == 499
    ilford = address("GB", "IG1 1AA")
    assert price(CARRIERS["thamesparcel"], SITES["WH-GB-LON1"], ilford, 500) == 399


def test_a_parcel_to_another_area_of_the_market_costs_the_zone_two_rate() -> None:
    assert price(CARRIERS["libertyparcel"], SITES["WH-US-NJ1"], NEW_YORK, 500) == 649
    assert price(CARRIERS["maplefreight"], SITES["WH-CA-ON1"], VANCOUVER, 500) == 1199
    assert price(CARRIERS["thamesparcel"], SITES["WH-GB-LON1"], EDINBURGH, 500) == 499


@pytest.mark.parametrize(
    ("grams", "expected"), [(1, 649), (1000, 649), (1001, 949), (5000, 949), (30_000, 1999)]
)
def test_a_parcel_costs_the_first_band_its_weight_fits_up_to_and_including_its_limit(
    grams: int, expected: int
) -> None:
    assert price(CARRIERS["libertyparcel"], SITES["WH-US-NJ1"], NEW_YORK, grams) == expected


def test_a_parcel_heavier_than_every_band_is_not_accepted() -> None:
    with pytest.raises(ValueError, match="libertyparcel takes no parcel of 30001 g"):
        price(CARRIERS["libertyparcel"], SITES["WH-US-NJ1"], NEW_YORK, 30_001)
    assert price(CARRIERS["swiftpost"], SITES["WH-US-NJ1"], NEW_YORK, 30_001) == 2699


def terms(**changes: Any) -> dict[str, Any]:
    """A valid carrier's terms as settings would give them, with ``changes``."""
    return {
        "code": "testpost",
        "market": "US",
        "transit_days": {"standard": 2},
        "rates": {1: [{"max_grams": 1000, "price_minor": 100}]},
        "daily_capacity": 1,
        "pickup_window_hours": 0.5,
    } | changes


def test_valid_terms_make_a_carrier_serving_its_whole_market() -> None:
    carrier = Carrier.model_validate(terms())
    assert carrier.areas == frozenset()
    assert carrier.rates[1] == (RateBand(max_grams=1000, price_minor=100),)


@pytest.mark.parametrize(
    "changes",
    [
        {"code": "SwiftPost"},
        {"code": "ab"},
        {"code": "9post"},
        {"market": "FR"},
        {"transit_days": {"overnight": 1}},
        {"rates": {3: [{"max_grams": 1000, "price_minor": 100}]}},
        {"rates": {1: [{"max_grams": 70_001, "price_minor": 100}]}},
        {"rates": {1: [{"max_grams": 0, "price_minor": 100}]}},
        {"rates": {1: [{"max_grams": 1000, "price_minor": -1}]}},
        {"daily_capacity": 0},
        {"pickup_window_hours": 0},
    ],
)
def test_terms_outside_what_shipping_can_book_are_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Carrier.model_validate(terms(**changes))


def test_a_carriers_terms_cannot_be_changed_once_loaded() -> None:
    with pytest.raises(ValidationError):
        CARRIERS["swiftpost"].daily_capacity = 1  # type: ignore[misc]


def test_the_default_carriers_have_distinct_codes_and_all_offer_standard() -> None:
    assert len(CARRIERS) == len(DEFAULT_CARRIERS)
    assert all("standard" in carrier.transit_days for carrier in DEFAULT_CARRIERS)


def test_the_default_carriers_price_both_zones_in_bands_of_rising_weight() -> None:
    # price() looks a zone up directly and takes the first band that fits: a missing zone or an
    # unsorted band would fail or overcharge a booking.
    for carrier in DEFAULT_CARRIERS:
        assert set(carrier.rates) == {1, 2}, carrier.code
        for bands in carrier.rates.values():
            limits = [band.max_grams for band in bands]
            assert limits == sorted(set(limits)), carrier.code


def test_every_default_site_is_in_the_country_its_warehouse_id_names() -> None:
    for site in DEFAULT_SITES:
        assert site.address.country == site.warehouse_id.split("-")[1]


def test_every_market_has_a_default_site_and_a_carrier_serving_it_everywhere() -> None:
    markets = {"US", "CA", "GB"}
    assert {site.address.country for site in DEFAULT_SITES} == markets
    assert {c.market for c in DEFAULT_CARRIERS if not c.areas and "express" in c.transit_days} == (
        markets
    )


def test_the_british_default_sites_are_found_by_postcode_area() -> None:
    assert SITES["WH-GB-LON1"].region is None
    assert (area_of(SITES["WH-GB-LON1"]), area_of(SITES["WH-GB-MAN1"])) == ("IG", "M")
