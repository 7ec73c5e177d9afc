"""Commands shipping sends to one carrier on ``carrier.<code>.requests.v1`` (keyed by order id).

Commands, not facts: each asks the carrier to do something, and the carrier answers with facts on
its tracking topic. These messages carry the recipient's name, address and phone: only that
carrier may read its topic (Kafka ACLs), and no log may print them.
"""

from typing import Annotated, Literal, Self, TypeAlias

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from conveyor_contracts.address import Contact, PostalAddress, Site
from conveyor_contracts.envelope import OrderEnvelope, UtcDatetime, event_type_field
from conveyor_contracts.values import (
    WIRE_CONFIG,
    Money,
    RmaId,
    ServiceLevel,
    ShipmentId,
    TrackingNumber,
)

EXAMPLE_PRODUCER = "shipping"  # the producer shown in this module's examples

_ADDRESS = {
    "address_lines": ["1 Market Street"],
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
}
_SITE = {
    "warehouse_id": "WH-US-NJ1",
    "address": {
        **_ADDRESS,
        "address_lines": ["200 Dock Road"],
        "city": "Newark",
        "region": "NJ",
        "postal_code": "07114",
    },
}
_CONTACT = {"name": "Ada Lovelace", "phone": "+14155550123"}


class Parcel(BaseModel):
    """One physical box, as the carrier prices and handles it."""

    model_config = WIRE_CONFIG

    weight_grams: int = Field(ge=1, le=70_000, description="Gross weight.", examples=[850])
    declared_value: Money = Field(
        description="Value for the carrier's liability.",
        examples=[{"amount_minor": 3998, "currency": "USD"}],
    )


class _CarrierCommand(OrderEnvelope):
    shipment_id: ShipmentId


class _Collection(_CarrierCommand):
    parcels: tuple[Parcel, ...] = Field(
        min_length=1,
        max_length=20,
        description="Boxes to collect.",
        examples=[
            [{"weight_grams": 850, "declared_value": {"amount_minor": 3998, "currency": "USD"}}]
        ],
    )
    pickup_by: UtcDatetime = Field(
        description="Collect by then; later, shipping books another carrier."
    )
    deliver_by: UtcDatetime = Field(
        description="Deliver by then.", examples=["2026-03-18T23:59:59Z"]
    )

    @model_validator(mode="after")
    def _pickup_before_delivery(self) -> Self:
        if self.deliver_by <= self.pickup_by:
            raise ValueError("deliver_by must be after pickup_by")
        return self


class BookShipment(_Collection):
    """Collect these parcels from a warehouse and deliver them to the buyer."""

    event_type: Literal["BookShipment"] = event_type_field("BookShipment")
    service_level: ServiceLevel
    pickup_from: Site = Field(description="Warehouse to collect from.", examples=[_SITE])
    deliver_to: PostalAddress = Field(description="Buyer's address.", examples=[_ADDRESS])
    recipient: Contact = Field(description="Who receives it.", examples=[_CONTACT])


class BookReturnPickup(_Collection):
    """Collect an authorised return from the buyer and bring it to a warehouse."""

    event_type: Literal["BookReturnPickup"] = event_type_field("BookReturnPickup")
    rma_id: RmaId
    collect_from: PostalAddress = Field(description="Buyer's address.", examples=[_ADDRESS])
    sender: Contact = Field(description="Buyer handing over the parcel.", examples=[_CONTACT])
    deliver_to: Site = Field(description="Warehouse receiving the return.", examples=[_SITE])


class CancelShipmentBooking(_CarrierCommand):
    """Do not collect this shipment (it has not been picked up)."""

    event_type: Literal["CancelShipmentBooking"] = event_type_field("CancelShipmentBooking")
    reason: Literal["order_cancelled", "return_withdrawn", "rebooked_elsewhere"] = Field(
        description="Why; 'rebooked_elsewhere' after a missed pickup.", examples=["order_cancelled"]
    )


class RecallShipment(_CarrierCommand):
    """Stop delivering this collected parcel and return it to the sender warehouse."""

    event_type: Literal["RecallShipment"] = event_type_field("RecallShipment")
    tracking_number: TrackingNumber


CarrierRequest: TypeAlias = Annotated[
    BookShipment | BookReturnPickup | CancelShipmentBooking | RecallShipment,
    Field(discriminator="event_type"),
]
CARRIER_REQUESTS: TypeAdapter[CarrierRequest] = TypeAdapter(CarrierRequest)
