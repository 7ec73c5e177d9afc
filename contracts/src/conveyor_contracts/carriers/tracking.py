"""Facts one carrier reports on ``carrier.<code>.tracking.v1`` (keyed by order id).

Carriers are outside parties: shipping normalises what they say into the shipment lifecycle.
The canonical status is what Conveyor acts on; the raw status is kept for support and audits.
"""

from datetime import date
from typing import Annotated, Literal, TypeAlias

from pydantic import Field, TypeAdapter

from conveyor_contracts.address import PERSONAL
from conveyor_contracts.envelope import OrderEnvelope, UtcDatetime, event_type_field
from conveyor_contracts.values import Detail, LocationCode, ShipmentId, TrackingNumber

EXAMPLE_PRODUCER = "carrier:swiftpost"  # the producer shown in this module's examples

CanonicalStatus = Literal[
    "picked_up", "in_transit", "out_for_delivery", "delivered", "delivery_failed",
    "returned_to_sender", "lost", "exception",
]  # fmt: skip


class _CarrierFact(OrderEnvelope):
    shipment_id: ShipmentId


class ShipmentAccepted(_CarrierFact):
    """The carrier takes the booking (shipment or return pickup) and assigned a tracking number."""

    event_type: Literal["ShipmentAccepted"] = event_type_field("ShipmentAccepted")
    tracking_number: TrackingNumber
    label_url: str | None = Field(
        default=None,
        pattern=r"^https://[^\s]{1,500}$",
        description="Where the warehouse prints the label (HTTPS).",
        examples=["https://labels.swiftpost.example/SP1234567890US.pdf"],
    )
    estimated_delivery: date | None = Field(
        default=None, description="Carrier's delivery estimate.", examples=["2026-03-17"]
    )


class ShipmentDeclined(_CarrierFact):
    """The carrier will not take the booking; shipping books another carrier."""

    event_type: Literal["ShipmentDeclined"] = event_type_field("ShipmentDeclined")
    reason: Literal["outside_service_area", "no_capacity", "parcel_not_accepted", "other"] = Field(
        description="Why, normalised.", examples=["no_capacity"]
    )
    detail: Detail | None = Field(
        default=None, description="Carrier's remark.", examples=["depot full"]
    )


class ShipmentBookingCancelled(_CarrierFact):
    """The carrier confirms it cancelled a booking it was asked to cancel."""

    event_type: Literal["ShipmentBookingCancelled"] = event_type_field("ShipmentBookingCancelled")


class TrackingScanRecorded(_CarrierFact):
    """The carrier scanned the parcel somewhere."""

    event_type: Literal["TrackingScanRecorded"] = event_type_field("TrackingScanRecorded")
    tracking_number: TrackingNumber
    status: CanonicalStatus = Field(
        description="Conveyor's status for the scan.", examples=["in_transit"]
    )
    raw_status: str = Field(
        min_length=1,
        max_length=64,
        description="The carrier's own status code, verbatim.",
        examples=["ARR_HUB"],
    )
    scanned_at: UtcDatetime = Field(description="When the scan happened (not when it was sent).")
    location_code: LocationCode
    remark: str | None = Field(
        default=None,
        max_length=200,
        description="Free text from the driver; may name people or places, so personal data.",
        examples=["left with neighbour"],
        json_schema_extra=PERSONAL,
    )


CarrierTrackingEvent: TypeAlias = Annotated[
    ShipmentAccepted | ShipmentDeclined | ShipmentBookingCancelled | TrackingScanRecorded,
    Field(discriminator="event_type"),
]
CARRIER_TRACKING_EVENTS: TypeAdapter[CarrierTrackingEvent] = TypeAdapter(CarrierTrackingEvent)
