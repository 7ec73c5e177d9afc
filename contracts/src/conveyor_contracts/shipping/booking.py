"""Shipment booking facts on ``shipping.shipments.v1``: which carrier takes which parcel, when."""

from datetime import date
from typing import Literal, Self

from pydantic import Field, model_validator

from conveyor_contracts.envelope import OrderEnvelope, UtcDatetime, event_type_field
from conveyor_contracts.values import (
    CarrierCode,
    Direction,
    ReservationId,
    RmaId,
    ServiceLevel,
    ShipmentId,
    StockLines,
    TrackingNumber,
    WarehouseId,
)

EXAMPLE_PRODUCER = "shipping"  # the producer shown in this module's examples


class ShipmentEnvelope(OrderEnvelope):
    """Base of every shipment event: one shipment is one parcel run from one warehouse."""

    shipment_id: ShipmentId


class _Deadlines(ShipmentEnvelope):
    pickup_by: UtcDatetime = Field(
        description="Carrier must collect by then, or shipping re-books."
    )
    deliver_by: UtcDatetime = Field(
        description="Delivery promise (SLA); later is a breach.", examples=["2026-03-18T23:59:59Z"]
    )

    @model_validator(mode="after")
    def _pickup_before_delivery(self) -> Self:
        if self.deliver_by <= self.pickup_by:
            raise ValueError("deliver_by must be after pickup_by")
        return self


class ShipmentBooked(_Deadlines):
    """Shipping asked a carrier to collect a warehouse's reserved lines (``BookShipment``)."""

    event_type: Literal["ShipmentBooked"] = event_type_field("ShipmentBooked")
    reservation_id: ReservationId
    warehouse_id: WarehouseId
    carrier_code: CarrierCode
    service_level: ServiceLevel
    lines: StockLines


class ShipmentRebooked(_Deadlines):
    """The first carrier declined or missed the pickup; another carrier was asked."""

    event_type: Literal["ShipmentRebooked"] = event_type_field("ShipmentRebooked")
    previous_carrier_code: CarrierCode = Field(
        description="Carrier that failed.", examples=["swiftpost"]
    )
    carrier_code: CarrierCode = Field(description="Carrier now asked.", examples=["libertyparcel"])
    reason: Literal["carrier_declined", "pickup_missed"] = Field(
        description="What went wrong with the previous carrier.", examples=["pickup_missed"]
    )

    @model_validator(mode="after")
    def _another_carrier(self) -> Self:
        if self.carrier_code == self.previous_carrier_code:
            raise ValueError("a rebooking goes to another carrier")
        return self


class ShipmentBookingFailed(ShipmentEnvelope):
    """No onboarded carrier will take the shipment; support gets a case, orders may cancel."""

    event_type: Literal["ShipmentBookingFailed"] = event_type_field("ShipmentBookingFailed")
    reason: Literal["no_carrier_serves_destination", "all_carriers_declined"] = Field(
        description="Why no booking was possible.", examples=["all_carriers_declined"]
    )
    carriers_tried: tuple[CarrierCode, ...] = Field(
        max_length=20,
        description="Carriers asked, in order.",
        examples=[["swiftpost", "libertyparcel"]],
    )


class ShipmentConfirmed(ShipmentEnvelope):
    """The carrier accepted the booking and gave a tracking number."""

    event_type: Literal["ShipmentConfirmed"] = event_type_field("ShipmentConfirmed")
    direction: Direction
    carrier_code: CarrierCode
    tracking_number: TrackingNumber
    estimated_delivery: date | None = Field(
        default=None, description="Carrier's estimate, if given.", examples=["2026-03-17"]
    )


class ShipmentCancelled(ShipmentEnvelope):
    """A booking was cancelled before pickup; the goods never left the warehouse."""

    event_type: Literal["ShipmentCancelled"] = event_type_field("ShipmentCancelled")
    direction: Direction
    reason: Literal["order_cancelled", "return_withdrawn"] = Field(
        description="Why the booking was cancelled.", examples=["order_cancelled"]
    )


class ShipmentRecallRequested(ShipmentEnvelope):
    """The order was cancelled after pickup: the carrier was asked to return the parcel."""

    event_type: Literal["ShipmentRecallRequested"] = event_type_field("ShipmentRecallRequested")
    carrier_code: CarrierCode
    tracking_number: TrackingNumber


class ReturnPickupBooked(_Deadlines):
    """A carrier was asked to collect an authorised return from the buyer."""

    event_type: Literal["ReturnPickupBooked"] = event_type_field("ReturnPickupBooked")
    rma_id: RmaId
    carrier_code: CarrierCode
    warehouse_id: WarehouseId = Field(description="Warehouse the return goes to.")
