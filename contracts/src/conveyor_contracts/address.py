"""Postal addresses and contacts: personal data, marked so that logs and traces can scrub it.

A field marked ``x-personal-data`` must never reach a log line, a span attribute, a metric label or
a Kafka key. ``conveyor_contracts.privacy`` lists and redacts them.
"""

from typing import Annotated, Any

from pydantic import BaseModel, Field

from conveyor_contracts.values import WIRE_CONFIG, CountryCode, WarehouseId

PERSONAL: dict[str, Any] = {"x-personal-data": True}

AddressLine = Annotated[str, Field(min_length=1, max_length=100)]


class PostalAddress(BaseModel):
    """A delivery or collection address.

    Only lengths are checked here: whether a postal code is valid for its country is a business
    rule of the orders service, which answers with ``OrderRejected`` instead of dead-lettering.
    """

    model_config = WIRE_CONFIG

    address_lines: tuple[AddressLine, ...] = Field(
        min_length=1,
        max_length=3,
        description="Street lines, most specific first.",
        examples=[["1 Market Street", "Apt 4"]],
        json_schema_extra=PERSONAL,
    )
    city: str = Field(
        min_length=1,
        max_length=80,
        description="City or town.",
        examples=["San Francisco"],
        json_schema_extra=PERSONAL,
    )
    region: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9]{1,3}$",
        description="State, province or county code where the country uses one.",
        examples=["CA"],
    )
    postal_code: str = Field(
        min_length=2,
        max_length=10,
        description="ZIP, postal code or postcode as the buyer typed it.",
        examples=["94105"],
        json_schema_extra=PERSONAL,
    )
    # The examples above are one address in San Francisco, California: in the US.
    country: CountryCode = Field(examples=["US"])


class Contact(BaseModel):
    """The person a parcel is for or collected from: what a carrier needs to reach them."""

    model_config = WIRE_CONFIG

    name: str = Field(
        min_length=1,
        max_length=100,
        description="Full name as written on the label.",
        examples=["Ada Lovelace"],
        json_schema_extra=PERSONAL,
    )
    phone: str | None = Field(
        default=None,
        pattern=r"^\+[1-9][0-9]{6,14}$",
        description="Phone number in E.164 form, for the carrier's delivery notices.",
        examples=["+14155550123"],
        json_schema_extra=PERSONAL,
    )


class Site(BaseModel):
    """A warehouse as a pickup or drop-off point; a business address, not personal data."""

    model_config = WIRE_CONFIG

    warehouse_id: WarehouseId
    address: PostalAddress = Field(
        description="The warehouse's dock address.",
        examples=[
            {
                "address_lines": ["200 Dock Road"],
                "city": "Newark",
                "region": "NJ",
                "postal_code": "07114",
                "country": "US",
            }
        ],
    )
