"""The envelope and the shared value types enforce their wire rules."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from contracts_testkit import example
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from conveyor_contracts.checkout import OrderCancellationRequested, OrderPlaced
from conveyor_contracts.values import Money, Quantity, Sku

QUANTITY: TypeAdapter[int] = TypeAdapter(Quantity)
SKU: TypeAdapter[str] = TypeAdapter(Sku)


def placed(**changes: Any) -> dict[str, Any]:
    return example(OrderPlaced) | changes


def test_a_naive_occurred_at_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        OrderPlaced.model_validate(placed(occurred_at="2026-03-14T18:05:09"))


def test_an_aware_occurred_at_is_normalised_to_utc() -> None:
    event = OrderPlaced.model_validate(placed(occurred_at="2026-03-14T20:05:09+02:00"))
    assert event.occurred_at == datetime(2026, 3, 14, 18, 5, 9, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)


@given(
    st.datetimes(
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))]
        )
    )
)
def test_any_aware_instant_survives_a_json_round_trip_unchanged(instant: datetime) -> None:
    event = OrderCancellationRequested.model_validate(
        example(OrderCancellationRequested) | {"occurred_at": instant}
    )
    again = OrderCancellationRequested.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.occurred_at == instant


def test_negative_money_is_rejected() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Money(amount_minor=-1, currency="USD")


def test_money_in_a_currency_outside_the_markets_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount_minor": 100, "currency": "EUR"})


@given(st.integers(min_value=-5, max_value=2000))
def test_a_quantity_is_valid_exactly_from_1_to_999(value: int) -> None:
    if 1 <= value <= 999:
        assert QUANTITY.validate_python(value) == value
    else:
        with pytest.raises(ValidationError):
            QUANTITY.validate_python(value)


@pytest.mark.parametrize("quantity", [0, 1000])
def test_an_order_line_with_quantity_out_of_bounds_is_rejected(quantity: int) -> None:
    line = {
        "sku": "TEE-BLK-M",
        "quantity": quantity,
        "unit_price": {"amount_minor": 1, "currency": "USD"},
    }
    with pytest.raises(ValidationError, match="quantity"):
        OrderPlaced.model_validate(placed(lines=[line]))


def test_a_currency_other_than_the_markets_is_rejected() -> None:
    with pytest.raises(ValidationError, match="market US sells in USD, not CAD"):
        OrderPlaced.model_validate(placed(currency="CAD"))


def test_a_unit_price_in_another_currency_than_the_order_is_rejected() -> None:
    line = {"sku": "TEE-BLK-M", "quantity": 1, "unit_price": {"amount_minor": 1, "currency": "GBP"}}
    with pytest.raises(ValidationError, match="every unit price must be in USD"):
        OrderPlaced.model_validate(placed(lines=[line]))


def test_a_total_in_another_currency_than_the_order_is_rejected() -> None:
    with pytest.raises(ValidationError, match="order_total must be in USD"):
        OrderPlaced.model_validate(placed(order_total={"amount_minor": 1, "currency": "CAD"}))


def test_a_total_that_does_not_add_up_is_left_to_the_orders_service() -> None:
    # A business rejection (OrderRejected), not a schema failure that would dead-letter it.
    event = OrderPlaced.model_validate(placed(order_total={"amount_minor": 1, "currency": "USD"}))
    assert event.order_total.amount_minor == 1


@pytest.mark.parametrize("count", [0, 101])
def test_an_order_needs_1_to_100_lines(count: int) -> None:
    line = {"sku": "TEE-BLK-M", "quantity": 1, "unit_price": {"amount_minor": 1, "currency": "USD"}}
    with pytest.raises(ValidationError, match="lines"):
        OrderPlaced.model_validate(placed(lines=[line] * count))


@pytest.mark.parametrize("sku", ["tee-blk-m", "AB", "TEE BLK", "-TEE", "A" * 33])
def test_malformed_skus_are_rejected(sku: str) -> None:
    with pytest.raises(ValidationError):
        SKU.validate_python(sku)


@pytest.mark.parametrize("order_id", ["a@b.example", "short", "ord 123456", ""])
def test_order_ids_that_could_carry_personal_data_or_break_keys_are_rejected(order_id: str) -> None:
    with pytest.raises(ValidationError, match="order_id"):
        OrderPlaced.model_validate(placed(order_id=order_id))


def test_unknown_fields_from_a_newer_producer_are_ignored() -> None:
    event = OrderPlaced.model_validate(
        placed(gift_wrap=True, ship_to=placed()["ship_to"] | {"floor": 3})
    )
    assert "gift_wrap" not in event.model_dump()
    assert "floor" not in event.ship_to.model_dump()


def test_events_are_immutable() -> None:
    event = OrderPlaced.model_validate(placed())
    with pytest.raises(ValidationError, match="frozen"):
        event.order_id = "ord_other1"  # type: ignore[misc]
