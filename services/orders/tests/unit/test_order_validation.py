"""Business validation of placed orders: every reason is reported, none is a crash."""

import pytest
from orders_testkit import event

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.orders import OrderRejected, Rejection
from orders.domain.validation import problems_of


def placed(**fields: object) -> OrderPlaced:
    return event(OrderPlaced, "ord_valid_1", **fields)


def test_the_contracts_example_order_is_valid() -> None:
    assert problems_of(placed()) == []


@pytest.mark.parametrize(
    ("country", "postal_code", "valid"),
    [
        ("US", "94105", True),
        ("US", "94105-1234", True),
        ("US", "9410", False),
        ("US", "94A05", False),
        ("CA", "K1A 0B1", True),
        ("CA", "k1a0b1", True),
        ("CA", "D1A 0B1", False),
        ("GB", "SW1A 1AA", True),
        ("GB", "M1 1AE", True),
        ("GB", "12345", False),
    ],
)
def test_postal_codes_are_checked_per_country(country: str, postal_code: str, valid: bool) -> None:
    base = placed()
    currency = {"US": "USD", "CA": "CAD", "GB": "GBP"}[country]
    data = base.model_dump(mode="json")
    data |= {"market": country, "currency": currency}
    data["ship_to"] |= {"country": country, "postal_code": postal_code, "region": None}
    for line in data["lines"]:
        line["unit_price"]["currency"] = currency
    data["shipping_fee"]["currency"] = currency
    data["order_total"]["currency"] = currency
    codes = [problem.code for problem in problems_of(OrderPlaced.model_validate(data))]
    assert ("invalid_postal_code" not in codes) is valid


def test_every_problem_is_reported_not_only_the_first() -> None:
    base = placed().model_dump(mode="json")
    base["lines"] = [base["lines"][0], base["lines"][0]]
    base["order_total"]["amount_minor"] += 1
    base["ship_to"]["postal_code"] = "ABCDE"
    codes = {problem.code for problem in problems_of(OrderPlaced.model_validate(base))}
    assert codes == {"total_mismatch", "duplicate_line", "invalid_postal_code"}


def test_problem_details_never_contain_the_address_or_the_recipient() -> None:
    order = placed(ship_to=placed().ship_to.model_dump() | {"postal_code": "ZZZZZ"})
    details = " ".join(problem.detail for problem in problems_of(order))
    assert "ZZZZZ" not in details
    assert order.recipient.name not in details


def test_the_contracts_rejection_example_is_what_orders_says_and_never_echoes_the_input() -> None:
    typed = "94A05"  # what the buyer typed: personal data, never repeated in an event
    address = placed().ship_to.model_copy(update={"postal_code": typed})
    [problem] = problems_of(placed(ship_to=address.model_dump()))
    [example] = OrderRejected.model_json_schema()["examples"][0]["reasons"]
    assert example == {"code": problem.code, "detail": problem.detail}
    assert Rejection.model_fields["detail"].examples == [problem.detail]
    assert typed not in problem.detail
