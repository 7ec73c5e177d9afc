"""``shipping.shipments.v1``: the shipment lifecycle shipping publishes (keyed by order id)."""

from typing import Annotated, TypeAlias

from pydantic import Field, TypeAdapter

from conveyor_contracts.shipping.booking import (
    ReturnPickupBooked,
    ShipmentBooked,
    ShipmentBookingFailed,
    ShipmentCancelled,
    ShipmentConfirmed,
    ShipmentEnvelope,
    ShipmentRebooked,
    ShipmentRecallRequested,
)
from conveyor_contracts.shipping.erasure import ShippingPersonalDataErased
from conveyor_contracts.shipping.tracking import (
    DeliveryAttemptFailed,
    DeliverySlaBreached,
    ReturnPickedUp,
    ShipmentDelayed,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentExceptionRaised,
    ShipmentInTransit,
    ShipmentLost,
    ShipmentReturnedToSender,
)

ShipmentEvent: TypeAlias = Annotated[
    ShipmentBooked
    | ShipmentRebooked
    | ShipmentBookingFailed
    | ShipmentConfirmed
    | ShipmentCancelled
    | ShipmentRecallRequested
    | ReturnPickupBooked
    | ShipmentDispatched
    | ReturnPickedUp
    | ShipmentInTransit
    | ShipmentDelivered
    | DeliveryAttemptFailed
    | ShipmentReturnedToSender
    | ShipmentLost
    | ShipmentExceptionRaised
    | ShipmentDelayed
    | DeliverySlaBreached
    | ShippingPersonalDataErased,
    Field(discriminator="event_type"),
]
SHIPMENT_EVENTS: TypeAdapter[ShipmentEvent] = TypeAdapter(ShipmentEvent)

__all__ = [
    "SHIPMENT_EVENTS",
    "DeliveryAttemptFailed",
    "DeliverySlaBreached",
    "ReturnPickedUp",
    "ReturnPickupBooked",
    "ShipmentBooked",
    "ShipmentBookingFailed",
    "ShipmentCancelled",
    "ShipmentConfirmed",
    "ShipmentDelayed",
    "ShipmentDelivered",
    "ShipmentDispatched",
    "ShipmentEnvelope",
    "ShipmentEvent",
    "ShipmentExceptionRaised",
    "ShipmentInTransit",
    "ShipmentLost",
    "ShipmentRebooked",
    "ShipmentRecallRequested",
    "ShipmentReturnedToSender",
    "ShippingPersonalDataErased",
]
