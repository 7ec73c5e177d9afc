"""Shared value types: identifiers, codes, money and quantities, each with its wire rules.

Each alias carries its own description and examples, so a field typed ``Sku`` documents itself in
the JSON Schema and the AsyncAPI document; a field may still override the description.
"""

import sys
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _document(schema: dict[str, Any], model: type[Any]) -> None:
    # One complete example per model, assembled from each field's first example, so the JSON
    # Schema and the AsyncAPI document show a whole message. The tests prove it validates.
    fields = model.model_fields.items()
    whole = {name: field.examples[0] for name, field in fields if field.examples}
    # Each event module names its usual producer, so a carrier reading the AsyncAPI document
    # sees "shipping" on a BookShipment rather than the envelope's generic example.
    producer = getattr(sys.modules[model.__module__], "EXAMPLE_PRODUCER", None)
    if "producer" in whole and producer:
        whole["producer"] = producer
    schema["examples"] = [whole]
    # event_type has a Python default for convenience, but on the wire it routes the message
    # through its topic's union (a message without it is dead-lettered): the schema says so.
    if "event_type" in schema.get("properties", {}):
        schema["required"] = ["event_type", *schema.get("required", [])]


# Every model on the wire: immutable, and tolerant of fields added by newer producers.
WIRE_CONFIG = ConfigDict(frozen=True, extra="ignore", json_schema_extra=_document)

_CountryLiteral = Literal["US", "CA", "GB"]
Market = Annotated[
    _CountryLiteral,
    Field(description="Market the order was sold in (ISO 3166-1 alpha-2).", examples=["US"]),
]
CountryCode = Annotated[
    _CountryLiteral,
    Field(description="ISO 3166-1 alpha-2 country Conveyor delivers in.", examples=["CA"]),
]
CurrencyCode = Annotated[
    Literal["USD", "CAD", "GBP"],
    Field(description="ISO 4217 currency of one of the markets.", examples=["USD"]),
]
# Each market sells in exactly one currency; a message that disagrees is malformed.
MARKET_CURRENCY: Mapping[str, str] = MappingProxyType({"US": "USD", "CA": "CAD", "GB": "GBP"})

Quantity = Annotated[
    int, Field(ge=1, le=999, description="Units of one SKU, 1 to 999.", examples=[2])
]
StockCount = Annotated[
    int, Field(ge=0, le=10_000_000, description="Units of stock (zero or more).", examples=[120])
]
Sku = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9][A-Z0-9-]{2,31}$",
        description="Stock keeping unit: upper-case letters, digits and dashes, 3 to 32.",
        examples=["TEE-BLK-M"],
    ),
]
# Identifiers are Kafka keys and land in traces, so their patterns leave no room for personal data.
OrderId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{5,63}$",
        description="Order identifier assigned by the shop checkout; the key of order topics.",
        examples=["ord_01J9Z3K8M4QH2V"],
    ),
]


def _prefixed_id(prefix: str, what: str, example: str) -> object:
    return Field(
        pattern=rf"^{prefix}_[A-Za-z0-9]{{8,40}}$",
        description=f"{what} identifier, '{prefix}_' then 8 to 40 letters or digits.",
        examples=[example],
    )


ShipmentId = Annotated[str, _prefixed_id("shp", "Shipment (one parcel run)", "shp_01J9Z4B6T2W8")]
ReservationId = Annotated[str, _prefixed_id("rsv", "Stock reservation", "rsv_01J9Z4A1Q7C3")]
CaseId = Annotated[str, _prefixed_id("case", "Support case", "case_01J9Z9XK3R2M")]
RmaId = Annotated[str, _prefixed_id("rma", "Return authorisation (RMA)", "rma_01J9ZB7P0D4N")]
RefundId = Annotated[str, _prefixed_id("rfd", "Refund request", "rfd_01J9ZC2W5H8E")]
# Every SKU belongs to one seller, whose goods the shop's warehouses hold and ship.
SellerId = Annotated[str, _prefixed_id("sel", "Seller", "sel_01J9ZA4S7K2L")]
AsnId = Annotated[str, _prefixed_id("asn", "Inbound shipment notice (ASN)", "asn_01J9ZD3F6G7H")]

WarehouseId = Annotated[
    str,
    Field(
        pattern=r"^WH-(US|CA|GB)-[A-Z0-9]{2,8}$",
        description="Warehouse, prefixed with the country it is in.",
        examples=["WH-US-NJ1"],
    ),
]
# A pattern, not an enum: onboarding a carrier must not change every event's schema (old
# consumers would reject the new value). The registry in topics.py lists the onboarded ones.
CarrierCode = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9]{2,19}$", description="Carrier code.", examples=["swiftpost"]),
]
TrackingNumber = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9]{8,34}$",
        description="Carrier's tracking number.",
        examples=["SP1234567890US"],
    ),
]
LocationCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9][A-Z0-9-]{1,15}$",
        description="Carrier facility or area code where a scan happened (never an address).",
        examples=["EWR-HUB1"],
    ),
]
ServiceLevel = Annotated[
    Literal["standard", "express"],
    Field(description="Delivery speed the buyer paid for.", examples=["standard"]),
]
Direction = Annotated[
    Literal["outbound", "return"],
    Field(description="Outbound to the buyer, or a return to a warehouse.", examples=["outbound"]),
]
Detail = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="Short operator-facing explanation; never personal data.",
        examples=["carrier capacity exhausted for the day"],
    ),
]


class Money(BaseModel):
    """An amount in integer minor units (cents, pence) of one currency; never a float."""

    model_config = WIRE_CONFIG

    amount_minor: int = Field(
        ge=0,
        le=100_000_000,  # 1,000,000.00: far above any order; a larger value is a producer bug
        description="Amount in the currency's minor unit (USD 19.99 is 1999).",
        examples=[1999],
    )
    currency: CurrencyCode


class StockLine(BaseModel):
    """A quantity of one SKU, and whose goods they are."""

    model_config = WIRE_CONFIG

    sku: Sku
    quantity: Quantity
    seller_id: SellerId | None = Field(
        default=None,
        description="The seller the SKU belongs to; absent from messages older than sellers.",
        examples=["sel_01J9ZA4S7K2L"],
    )


class DeliveryWindow(BaseModel):
    """The days, in the market's calendar, between which the buyer was promised delivery."""

    model_config = WIRE_CONFIG

    earliest: date = Field(description="First promised day.", examples=["2026-12-07"])
    latest: date = Field(description="Last promised day.", examples=["2026-12-09"])

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.latest < self.earliest:
            raise ValueError("latest is before earliest")
        return self


StockLines = Annotated[
    tuple[StockLine, ...],
    Field(
        min_length=1,
        max_length=100,
        description="SKUs and quantities, 1 to 100 lines.",
        examples=[[{"sku": "TEE-BLK-M", "quantity": 2}]],
    ),
]
