"""Packing a shipment's lines into boxes: as few as hold them, weight and value shared evenly."""

import pytest

from conveyor_contracts.carriers.requests import Parcel
from shipping.domain.parcels import BOX_LIMIT_GRAMS, MAX_BOXES, pack
from shipping.domain.shipment import Line

PRICES = {"TEE-BLK-M": 1999, "MUG-WHT": 850}


def boxes(*quantities: int, unit_grams: int = 500, currency: str = "USD") -> tuple[Parcel, ...]:
    """The parcels for one line of tees per quantity."""
    lines = tuple(Line("TEE-BLK-M", quantity) for quantity in quantities)
    return pack(lines, PRICES, currency, unit_grams)


def weights(parcels: tuple[Parcel, ...]) -> list[int]:
    return [parcel.weight_grams for parcel in parcels]


def test_a_few_units_go_in_one_box_weighing_them_all_and_worth_them_all() -> None:
    [parcel] = boxes(3)
    assert parcel.weight_grams == 1500
    assert (parcel.declared_value.amount_minor, parcel.declared_value.currency) == (5997, "USD")


def test_a_box_holds_up_to_exactly_the_limit_one_person_lifts() -> None:
    assert weights(boxes(1, unit_grams=BOX_LIMIT_GRAMS)) == [20_000]
    assert weights(boxes(40)) == [20_000]


def test_one_gram_over_the_limit_needs_a_second_box_and_the_weight_is_shared() -> None:
    assert weights(boxes(1, unit_grams=BOX_LIMIT_GRAMS + 2)) == [10_001, 10_001]
    assert weights(boxes(41)) == [10_250, 10_250]


def test_the_boxes_are_as_few_as_hold_the_weight() -> None:
    assert len(boxes(120)) == 3  # 60 kg
    assert len(boxes(121)) == 4  # 60.5 kg


def test_the_declared_value_is_shared_evenly_across_the_boxes() -> None:
    parcels = boxes(60, 20)  # 40 kg, 80 tees at 19.99
    assert [p.declared_value.amount_minor for p in parcels] == [79_960, 79_960]
    assert {p.declared_value.currency for p in parcels} == {"USD"}


def test_every_line_counts_towards_the_weight_and_the_value() -> None:
    lines = (Line("TEE-BLK-M", 2), Line("MUG-WHT", 3))
    [parcel] = pack(lines, PRICES, "GBP", unit_grams=400)
    assert parcel.weight_grams == 2000
    assert parcel.declared_value.amount_minor == 2 * 1999 + 3 * 850
    assert parcel.declared_value.currency == "GBP"


def test_a_line_without_a_known_unit_price_is_declared_worth_nothing() -> None:
    [parcel] = pack((Line("TEE-BLK-M", 1), Line("NEW-SKU", 4)), PRICES, "CAD", unit_grams=100)
    assert parcel.weight_grams == 500
    assert parcel.declared_value.amount_minor == 1999


def test_no_lines_still_make_one_box_of_the_least_weight_a_parcel_can_have() -> None:
    [parcel] = pack((), PRICES, "USD", unit_grams=500)
    assert (parcel.weight_grams, parcel.declared_value.amount_minor) == (1, 0)


def test_a_shipment_never_takes_more_boxes_than_the_booking_contract_allows() -> None:
    assert weights(boxes(400, 400)) == [BOX_LIMIT_GRAMS] * MAX_BOXES  # 400 kg: 20 full boxes
    # Beyond it the boxes stay 20 and each holds more than a person lifts.
    assert weights(boxes(800, 800)) == [40_000] * MAX_BOXES


@pytest.mark.parametrize("currency", ["USD", "CAD", "GBP"])
def test_the_boxes_are_declared_in_the_currency_of_the_order(currency: str) -> None:
    assert {p.declared_value.currency for p in boxes(50, currency=currency)} == {currency}
