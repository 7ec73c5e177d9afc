"""Shipment progress facts on ``shipping.shipments.v1``: shipping's reading of carrier scans."""

from datetime import date
from typing import Literal

from pydantic import Field

from conveyor_contracts.envelope import UtcDatetime, event_type_field
from conveyor_contracts.shipping.booking import ShipmentEnvelope
from conveyor_contracts.values import (
    CarrierCode,
    Detail,
    Direction,
    LocationCode,
    ReservationId,
    RmaId,
    StockLines,
    TrackingNumber,
    WarehouseId,
)

EXAMPLE_PRODUCER = "shipping"  # the producer shown in this module's examples


class ShipmentDispatched(ShipmentEnvelope):
    """The carrier collected an outbound parcel: inventory commits its reserved stock."""

    event_type: Literal["ShipmentDispatched"] = event_type_field("ShipmentDispatched")
    reservation_id: ReservationId
    warehouse_id: WarehouseId
    carrier_code: CarrierCode
    tracking_number: TrackingNumber
    lines: StockLines
    picked_up_at: UtcDatetime = Field(description="Carrier's pickup scan time.")


class ReturnPickedUp(ShipmentEnvelope):
    """The carrier collected an authorised return from the buyer."""

    event_type: Literal["ReturnPickedUp"] = event_type_field("ReturnPickedUp")
    rma_id: RmaId
    carrier_code: CarrierCode
    tracking_number: TrackingNumber
    picked_up_at: UtcDatetime = Field(description="Carrier's pickup scan time.")


class _Scanned(ShipmentEnvelope):
    direction: Direction
    scanned_at: UtcDatetime = Field(description="Carrier's scan time.")


class ShipmentInTransit(_Scanned):
    """The parcel moved on: a hub scan, or out for delivery."""

    event_type: Literal["ShipmentInTransit"] = event_type_field("ShipmentInTransit")
    stage: Literal["in_transit", "out_for_delivery"] = Field(
        description="How far along.", examples=["in_transit"]
    )
    location_code: LocationCode


class ShipmentDelivered(_Scanned):
    """The parcel reached the buyer (outbound) or the warehouse (return)."""

    event_type: Literal["ShipmentDelivered"] = event_type_field("ShipmentDelivered")


class DeliveryAttemptFailed(_Scanned):
    """A delivery attempt failed; the carrier may try again."""

    event_type: Literal["DeliveryAttemptFailed"] = event_type_field("DeliveryAttemptFailed")
    reason: Literal["recipient_absent", "address_problem", "access_problem", "refused", "other"] = (
        Field(description="Carrier's reason, normalised.", examples=["recipient_absent"])
    )
    will_retry: bool = Field(description="Whether the carrier will attempt again.", examples=[True])


class ShipmentReturnedToSender(_Scanned):
    """The carrier is bringing the parcel back to the warehouse (undeliverable or recalled)."""

    event_type: Literal["ShipmentReturnedToSender"] = event_type_field("ShipmentReturnedToSender")


class ShipmentLost(_Scanned):
    """The carrier declared the parcel lost; support decides on reship or refund."""

    event_type: Literal["ShipmentLost"] = event_type_field("ShipmentLost")


class ShipmentExceptionRaised(_Scanned):
    """The carrier reported a problem that needs a person (damage, customs hold...)."""

    event_type: Literal["ShipmentExceptionRaised"] = event_type_field("ShipmentExceptionRaised")
    code: Literal["damaged", "delayed", "weather", "address_invalid", "other"] = Field(
        description="Kind of problem, normalised.", examples=["damaged"]
    )
    detail: Detail | None = Field(
        default=None, description="Carrier's remark, if any.", examples=["box crushed at hub"]
    )


class ShipmentDelayed(ShipmentEnvelope):
    """The arrival forecast from the carrier's scans passed the delivery window promised to the
    buyer: told once per parcel, before the promise is broken rather than after. Orders shows
    the order ``delayed``; support opens a case to reach out."""

    event_type: Literal["ShipmentDelayed"] = event_type_field("ShipmentDelayed")
    carrier_code: CarrierCode
    promised_latest: date = Field(
        description="Last day of the promised window.", examples=["2026-12-09"]
    )
    forecast_delivery: date = Field(
        description="The day the parcel is now expected, from the carrier's transit times.",
        examples=["2026-12-11"],
    )


class DeliverySlaBreached(ShipmentEnvelope):
    """An outbound parcel was not delivered by its ``deliver_by`` promise; support opens a case."""

    event_type: Literal["DeliverySlaBreached"] = event_type_field("DeliverySlaBreached")
    carrier_code: CarrierCode
    deliver_by: UtcDatetime = Field(description="The promise that was missed.")
