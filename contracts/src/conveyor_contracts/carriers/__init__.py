"""Per-carrier topics: commands to a carrier, and the facts it reports back."""

from conveyor_contracts.carriers.requests import (
    CARRIER_REQUESTS,
    BookReturnPickup,
    BookShipment,
    CancelShipmentBooking,
    CarrierRequest,
    Parcel,
    RecallShipment,
)
from conveyor_contracts.carriers.tracking import (
    CARRIER_TRACKING_EVENTS,
    CanonicalStatus,
    CarrierTrackingEvent,
    ShipmentAccepted,
    ShipmentBookingCancelled,
    ShipmentDeclined,
    TrackingScanRecorded,
)

__all__ = [
    "CARRIER_REQUESTS",
    "CARRIER_TRACKING_EVENTS",
    "BookReturnPickup",
    "BookShipment",
    "CancelShipmentBooking",
    "CanonicalStatus",
    "CarrierRequest",
    "CarrierTrackingEvent",
    "Parcel",
    "RecallShipment",
    "ShipmentAccepted",
    "ShipmentBookingCancelled",
    "ShipmentDeclined",
    "TrackingScanRecorded",
]
