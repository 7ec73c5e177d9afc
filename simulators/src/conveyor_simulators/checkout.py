"""The shop checkout: a pure, seeded generator of orders, cancellations, erasure requests and
warehouse receipts.

Nothing here touches Kafka, so determinism and validity are unit-testable: the same settings and
seed always give the same messages, ids included (uuid5 over the seed, never uuid4).
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from conveyor_contracts.address import Contact, PostalAddress
from conveyor_contracts.checkout import OrderCancellationRequested, OrderLine, OrderPlaced
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.values import MARKET_CURRENCY, Money
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_simulators.catalogue import (
    BAD_POSTAL_CODES,
    CATALOGUE,
    HOT_SKUS,
    NAMES,
    PHONE_PREFIX,
    PLACES,
    SELLER_OF,
)

PRODUCER = "checkout"
MARKETS: tuple[Literal["US", "CA", "GB"], ...] = ("US", "CA", "GB")
SHIPPING_FEE_MINOR = 499
# A fixed epoch keeps timestamps reproducible; the live publisher stamps real time instead.
EPOCH = datetime(2026, 3, 14, 18, 0, tzinfo=UTC)
_NAMESPACE = uuid.UUID("6f1d3c52-2b8e-4f0a-9d7e-0c1b2a3f4e5d")


@dataclass(frozen=True)
class CheckoutSettings:
    orders: int = 100
    seed: int = 7
    flash_sale: bool = False
    cancel_ratio: float = 0.05
    invalid_ratio: float = 0.02


@dataclass(frozen=True)
class Planned:
    """One message to publish, ``delay`` seconds after the run started (before rate pacing)."""

    key: str
    message: OrderPlaced | OrderCancellationRequested
    after_orders: int  # publish once this many orders were placed: cancellations trail orders


def seeded_uuid(seed: int, *parts: object) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, ":".join(str(part) for part in (seed, *parts)))


def _lines(rng: random.Random, flash_sale: bool, currency: str) -> tuple[OrderLine, ...]:
    count = rng.randint(1, 5)
    if flash_sale:
        # Most lines hit the drop's hot SKUs; a few buyers add something else to the basket.
        pool = [p for p in CATALOGUE if p.sku in HOT_SKUS]
        others = [p for p in CATALOGUE if p.sku not in HOT_SKUS]
        chosen = [rng.choice(pool) if rng.random() < 0.9 else rng.choice(others)]
        chosen += [rng.choice(others) for _ in range(count - 1) if rng.random() < 0.3]
    else:
        chosen = [rng.choice(CATALOGUE) for _ in range(count)]
    # One line per SKU: duplicate SKU lines are a business error reserved for invalid orders.
    quantities: dict[str, int] = {}
    prices: dict[str, int] = {}
    for product in chosen:
        quantities[product.sku] = quantities.get(product.sku, 0) + rng.randint(1, 3)
        prices[product.sku] = product.price_minor
    return tuple(
        OrderLine(
            sku=sku,
            quantity=quantity,
            unit_price=Money(amount_minor=prices[sku], currency=currency),  # type: ignore[arg-type]
            seller_id=SELLER_OF[sku],
        )
        for sku, quantity in quantities.items()
    )


def make_order(settings: CheckoutSettings, index: int) -> OrderPlaced:
    """The index-th order of a run: a function of (seed, index) alone, so runs are reproducible."""
    rng = random.Random(f"{settings.seed}:order:{index}")
    market = rng.choice(MARKETS)
    currency = MARKET_CURRENCY[market]
    place = rng.choice(PLACES[market])
    lines = _lines(rng, settings.flash_sale, currency)
    total = sum(line.unit_price.amount_minor * line.quantity for line in lines)
    total += SHIPPING_FEE_MINOR
    postal_code = place.postal_code
    if rng.random() < settings.invalid_ratio:
        # Business-invalid but schema-valid: orders must answer OrderRejected, not dead-letter.
        if rng.random() < 0.5:
            postal_code = rng.choice(BAD_POSTAL_CODES)
        else:
            total += 100  # totals no longer add up
    order_id = f"ord_{seeded_uuid(settings.seed, 'order', index).hex[:16]}"
    return OrderPlaced(
        event_id=seeded_uuid(settings.seed, "placed", index),
        occurred_at=EPOCH + timedelta(seconds=index),
        correlation_id=order_id,
        producer=PRODUCER,
        order_id=order_id,
        market=market,
        currency=currency,  # type: ignore[arg-type]
        service_level=rng.choice(("standard", "standard", "express")),
        ship_to=PostalAddress(
            address_lines=(place.street,),
            city=place.city,
            region=place.region,
            postal_code=postal_code,
            country=market,
        ),
        recipient=Contact(
            name=rng.choice(NAMES), phone=f"{PHONE_PREFIX[market]}{rng.randint(1000, 9999)}"
        ),
        lines=lines,
        buyer_id=f"byr_{seeded_uuid(settings.seed, 'buyer', rng.randint(0, 999)).hex[:10]}",
        shipping_fee=Money(amount_minor=SHIPPING_FEE_MINOR, currency=currency),  # type: ignore[arg-type]
        order_total=Money(amount_minor=total, currency=currency),  # type: ignore[arg-type]
        live_stream_id="live_flash_sale" if settings.flash_sale else None,
    )


def plan_checkout(settings: CheckoutSettings) -> list[Planned]:
    """Every message of a run, in publish order: orders, with cancellations a few orders later."""
    plan: list[Planned] = []
    pending: list[Planned] = []
    for index in range(settings.orders):
        order = make_order(settings, index)
        plan.append(Planned(order.order_id, order, index + 1))
        rng = random.Random(f"{settings.seed}:cancel:{index}")
        if rng.random() < settings.cancel_ratio:
            cancel = OrderCancellationRequested(
                event_id=seeded_uuid(settings.seed, "cancel", index),
                occurred_at=order.occurred_at + timedelta(seconds=rng.randint(1, 30)),
                correlation_id=order.order_id,
                causation_id=order.event_id,
                producer=PRODUCER,
                order_id=order.order_id,
                reason="buyer_request",
            )
            # "Some time after placing": after 1 to 5 more orders were placed.
            pending.append(Planned(order.order_id, cancel, index + 1 + rng.randint(1, 5)))
        due = [item for item in pending if item.after_orders <= index + 1]
        plan.extend(due)
        pending = [item for item in pending if item.after_orders > index + 1]
    plan.extend(pending)
    return plan


def plan_receipts(
    seed: int, warehouses: tuple[str, ...], quantity: int = 500
) -> list[GoodsReceived]:
    """Stock for every catalogue SKU in every warehouse, so valid orders can be reserved."""
    receipts = []
    for warehouse in warehouses:
        for number, product in enumerate(CATALOGUE):
            receipts.append(
                GoodsReceived(
                    event_id=seeded_uuid(seed, "receipt", warehouse, product.sku),
                    occurred_at=EPOCH,
                    correlation_id=f"GRN-{seed}-{warehouse}-{number:04d}",
                    producer="warehouse",
                    sku=product.sku,
                    warehouse_id=warehouse,
                    quantity=quantity,
                    receipt_ref=f"GRN-{seed}-{number:04d}",
                    seller_id=product.seller_id,
                )
            )
    return receipts


def plan_erasure(order_ids: tuple[str, ...], erasure_id: str) -> list[PersonalDataErasureRequested]:
    """A buyer's erasure request: one message per order of theirs, all with the same request id.
    The shop knows a buyer's orders; the messages name none of the buyer's data."""
    return [
        PersonalDataErasureRequested(
            event_id=uuid.uuid5(_NAMESPACE, f"erasure:{erasure_id}:{order_id}"),
            occurred_at=datetime.now(UTC),
            correlation_id=order_id,
            producer=PRODUCER,
            order_id=order_id,
            erasure_id=erasure_id,
        )
        for order_id in order_ids
    ]
