"""``checkout.orders.v1``: what the shop checkout tells Conveyor (facts, keyed by order id).

Schema versus business rules: a message that fails these models is malformed and dead-lettered.
Rules whose failure the shop must hear about as an ``OrderRejected`` with reasons are the orders
service's job, not the schema's: totals adding up, duplicate SKU lines, a postal code valid for
its country, a destination inside the market, known SKUs, a re-used order id.
"""

from typing import Annotated, Literal, Self, TypeAlias

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from conveyor_contracts.address import PERSONAL, Contact, PostalAddress
from conveyor_contracts.envelope import OrderEnvelope, event_type_field
from conveyor_contracts.values import (
    MARKET_CURRENCY,
    WIRE_CONFIG,
    CurrencyCode,
    Market,
    Money,
    Quantity,
    SellerId,
    ServiceLevel,
    Sku,
)

EXAMPLE_PRODUCER = "checkout"  # the producer shown in this module's examples

_ADDRESS_EXAMPLE = {
    "address_lines": ["1 Market Street", "Apt 4"],
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
}
_LINE_EXAMPLE = {
    "sku": "TEE-BLK-M",
    "quantity": 2,
    "unit_price": {"amount_minor": 1999, "currency": "USD"},
    "seller_id": "sel_01J9ZA4S7K2L",
}

CancellationReason = Annotated[
    Literal["buyer_request", "payment_failed", "fraud_suspected", "duplicate_order", "other"],
    Field(description="Why the cancellation was asked for.", examples=["buyer_request"]),
]


class OrderLine(BaseModel):
    """One SKU of an order, at the unit price the buyer paid."""

    model_config = WIRE_CONFIG

    sku: Sku
    quantity: Quantity
    unit_price: Money = Field(
        description="Price of one unit, in the order's currency.",
        examples=[{"amount_minor": 1999, "currency": "USD"}],
    )
    seller_id: SellerId | None = Field(
        default=None,
        description="The seller the SKU belongs to; absent from checkouts older than sellers.",
        examples=["sel_01J9ZA4S7K2L"],
    )


class PricedOrder(OrderEnvelope):
    """What an order is: shared by the checkout's ``OrderPlaced`` and orders' ``OrderAccepted``."""

    market: Market
    currency: CurrencyCode = Field(description="Currency of every amount in the order.")
    service_level: ServiceLevel
    ship_to: PostalAddress = Field(description="Delivery address.", examples=[_ADDRESS_EXAMPLE])
    recipient: Contact = Field(
        description="Who receives the parcel.",
        examples=[{"name": "Ada Lovelace", "phone": "+14155550123"}],
    )
    lines: tuple[OrderLine, ...] = Field(
        min_length=1,
        max_length=100,
        description="Ordered SKUs, 1 to 100 lines.",
        examples=[[_LINE_EXAMPLE]],
    )

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        # A currency that disagrees with the market is a producer bug, not a business decision.
        if MARKET_CURRENCY[self.market] != self.currency:
            raise ValueError(
                f"market {self.market} sells in {MARKET_CURRENCY[self.market]}, not {self.currency}"
            )
        if any(line.unit_price.currency != self.currency for line in self.lines):
            raise ValueError(f"every unit price must be in {self.currency}")
        return self


class OrderPlaced(PricedOrder):
    """A buyer completed checkout and paid: Conveyor should fulfil the order."""

    event_type: Literal["OrderPlaced"] = event_type_field("OrderPlaced")
    buyer_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{6,64}$",
        description="The shop's pseudonymous buyer id; links support cases to the buyer.",
        examples=["byr_7KQ2M9"],
        json_schema_extra=PERSONAL,
    )
    shipping_fee: Money = Field(
        description="Shipping charged.", examples=[{"amount_minor": 499, "currency": "USD"}]
    )
    order_total: Money = Field(
        description="Total charged: lines plus shipping (checked by orders, not the schema).",
        examples=[{"amount_minor": 4497, "currency": "USD"}],
    )
    live_stream_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{4,64}$",
        description="Live-stream flash sale the order came from, if any.",
        examples=["live_2026_03_14_sneakers"],
    )

    @model_validator(mode="after")
    def _amounts_in_order_currency(self) -> Self:
        if {self.shipping_fee.currency, self.order_total.currency} != {self.currency}:
            raise ValueError(f"shipping_fee and order_total must be in {self.currency}")
        return self


class OrderCancellationRequested(OrderEnvelope):
    """The buyer or the shop asked to cancel an order; orders decides whether it still can."""

    event_type: Literal["OrderCancellationRequested"] = event_type_field(
        "OrderCancellationRequested"
    )
    reason: CancellationReason


CheckoutEvent: TypeAlias = Annotated[
    OrderPlaced | OrderCancellationRequested, Field(discriminator="event_type")
]
CHECKOUT_EVENTS: TypeAdapter[CheckoutEvent] = TypeAdapter(CheckoutEvent)
