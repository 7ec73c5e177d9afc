"""The checkout generator: deterministic, contract-valid, consistent per market."""

import re
from collections import Counter

from conveyor_contracts.checkout import OrderCancellationRequested, OrderPlaced
from conveyor_contracts.topics import CHECKOUT_ORDERS, WAREHOUSE_RECEIPTS
from conveyor_contracts.values import MARKET_CURRENCY
from conveyor_simulators.catalogue import DEFAULT_WAREHOUSES, HOT_SKUS, SELLER_OF, SELLERS
from conveyor_simulators.checkout import CheckoutSettings, plan_checkout, plan_receipts

POSTAL = {
    "US": re.compile(r"^\d{5}$"),
    "CA": re.compile(r"^[A-Z]\d[A-Z] \d[A-Z]\d$"),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"),
}


def _dump(settings: CheckoutSettings) -> list[str]:
    return [planned.message.model_dump_json() for planned in plan_checkout(settings)]


def test_same_seed_gives_identical_messages() -> None:
    settings = CheckoutSettings(orders=50, seed=7, cancel_ratio=0.2, invalid_ratio=0.1)
    assert _dump(settings) == _dump(settings)
    assert _dump(settings) != _dump(CheckoutSettings(orders=50, seed=8))


def test_every_message_validates_against_the_topic_adapter() -> None:
    plan = plan_checkout(CheckoutSettings(orders=200, cancel_ratio=0.2, invalid_ratio=0.2))
    for planned in plan:
        parsed = CHECKOUT_ORDERS.adapter.validate_json(planned.message.model_dump_json())
        assert parsed == planned.message
        assert planned.key == planned.message.order_id
    receipts = plan_receipts(7, DEFAULT_WAREHOUSES)
    for receipt in receipts:
        assert WAREHOUSE_RECEIPTS.adapter.validate_json(receipt.model_dump_json()) == receipt


def test_valid_orders_are_consistent_per_market() -> None:
    orders = [
        planned.message
        for planned in plan_checkout(CheckoutSettings(orders=300, invalid_ratio=0.0))
        if isinstance(planned.message, OrderPlaced)
    ]
    assert {order.market for order in orders} == {"US", "CA", "GB"}
    for order in orders:
        assert order.currency == MARKET_CURRENCY[order.market]
        assert order.ship_to.country == order.market
        assert POSTAL[order.market].match(order.ship_to.postal_code)
        assert 1 <= len(order.lines) <= 5
        lines = sum(line.unit_price.amount_minor * line.quantity for line in order.lines)
        assert order.order_total.amount_minor == lines + order.shipping_fee.amount_minor


def test_invalid_ratio_makes_business_invalid_orders() -> None:
    plan = plan_checkout(CheckoutSettings(orders=500, invalid_ratio=0.2, cancel_ratio=0.0))
    invalid = 0
    for planned in plan:
        order = planned.message
        assert isinstance(order, OrderPlaced)
        lines = sum(line.unit_price.amount_minor * line.quantity for line in order.lines)
        wrong_total = order.order_total.amount_minor != lines + order.shipping_fee.amount_minor
        bad_postal = not POSTAL[order.market].match(order.ship_to.postal_code)
        invalid += wrong_total or bad_postal
    assert 60 <= invalid <= 140  # about 20% of 500


def test_cancellations_follow_their_order() -> None:
    plan = plan_checkout(CheckoutSettings(orders=300, cancel_ratio=0.1))
    placed_at: dict[str, int] = {}
    cancels = 0
    for position, planned in enumerate(plan):
        if isinstance(planned.message, OrderPlaced):
            placed_at[planned.message.order_id] = position
        else:
            assert isinstance(planned.message, OrderCancellationRequested)
            assert placed_at[planned.message.order_id] < position
            cancels += 1
    assert 10 <= cancels <= 60


def test_flash_sale_concentrates_on_hot_skus() -> None:
    def hot_share(flash_sale: bool) -> float:
        units: Counter[str] = Counter()
        for planned in plan_checkout(CheckoutSettings(orders=300, flash_sale=flash_sale)):
            if isinstance(planned.message, OrderPlaced):
                for line in planned.message.lines:
                    units[line.sku] += line.quantity
        return sum(units[sku] for sku in HOT_SKUS) / sum(units.values())

    assert hot_share(True) > 0.5  # 2 of 12 SKUs: about 0.17 without a sale
    assert hot_share(False) < 0.35


def test_receipts_cover_the_configured_warehouses() -> None:
    receipts = plan_receipts(7, ("WH-US-TX9", "WH-GB-LON2"), quantity=42)
    assert {receipt.warehouse_id for receipt in receipts} == {"WH-US-TX9", "WH-GB-LON2"}
    assert all(receipt.quantity == 42 for receipt in receipts)


def test_orders_sell_several_sellers_goods_each_line_its_skus_seller() -> None:
    plan = plan_checkout(CheckoutSettings(orders=200, seed=7))
    lines = [
        line
        for planned in plan
        if isinstance(planned.message, OrderPlaced)
        for line in planned.message.lines
    ]
    assert all(line.seller_id == SELLER_OF[line.sku] for line in lines)
    assert {line.seller_id for line in lines} == set(SELLERS)
    receipts = plan_receipts(7, DEFAULT_WAREHOUSES)
    assert all(receipt.seller_id == SELLER_OF[receipt.sku] for receipt in receipts)
