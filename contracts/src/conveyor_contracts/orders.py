"""Topics the orders service produces: ``orders.lifecycle.v1`` (for the services) and
``orders.status.v1`` (for the shop checkout). Both keyed by order id."""

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, Field, TypeAdapter

from conveyor_contracts.checkout import CancellationReason, PricedOrder
from conveyor_contracts.envelope import OrderEnvelope, UtcDatetime, event_type_field
from conveyor_contracts.values import (
    WIRE_CONFIG,
    CarrierCode,
    DeliveryWindow,
    Detail,
    TrackingNumber,
)

EXAMPLE_PRODUCER = "orders"  # the producer shown in this module's examples

RejectionCode = Literal[
    "total_mismatch",
    "duplicate_line",
    "invalid_postal_code",
    "destination_not_served",
    "unknown_sku",
    "duplicate_order_id",
]


class Rejection(BaseModel):
    """One reason an order was refused, for the shop to show or act on."""

    model_config = WIRE_CONFIG

    code: RejectionCode = Field(
        description="Machine-readable reason.", examples=["invalid_postal_code"]
    )
    detail: Detail | None = Field(
        default=None,
        # Never the input itself: the rejection travels in events and logs, and what the buyer
        # typed (a postal code) is personal data.
        description="What exactly was wrong, without repeating the buyer's input.",
        examples=["not a valid US postal code"],
    )


class OrderAccepted(PricedOrder):
    """Orders validated a placed order and took it on: inventory reserves, shipping prepares."""

    event_type: Literal["OrderAccepted"] = event_type_field("OrderAccepted")
    dispatch_by: UtcDatetime | None = Field(
        default=None,
        description=(
            "When the parcels must be handed to the carrier: the end of the last handling"
            " business day in the market's calendar. Set once at acceptance, never moved."
        ),
        examples=["2026-12-05T04:59:59Z"],
    )
    promised_delivery: DeliveryWindow | None = Field(
        default=None,
        description="The delivery window promised to the buyer; set once, never moved.",
        examples=[{"earliest": "2026-12-07", "latest": "2026-12-09"}],
    )


class OrderRejected(OrderEnvelope):
    """Orders refused a placed order for business reasons; nothing was reserved."""

    event_type: Literal["OrderRejected"] = event_type_field("OrderRejected")
    reasons: tuple[Rejection, ...] = Field(
        min_length=1,
        max_length=20,
        description="Every reason found, not only the first.",
        examples=[[{"code": "invalid_postal_code", "detail": "not a valid US postal code"}]],
    )


class OrderCancelled(OrderEnvelope):
    """The order is cancelled: inventory releases stock, shipping cancels or recalls parcels."""

    event_type: Literal["OrderCancelled"] = event_type_field("OrderCancelled")
    reason: CancellationReason | Literal["out_of_stock", "no_carrier_available"] = Field(
        description="Why: the request's reason, or a fulfilment failure.",
        examples=["buyer_request"],
    )
    stage: Literal["before_pickup", "after_pickup"] = Field(
        description="After pickup the parcel is recalled and comes back as a return.",
        examples=["before_pickup"],
    )


class OrderCancellationRefused(OrderEnvelope):
    """A cancellation request came too late or for an order orders does not know."""

    event_type: Literal["OrderCancellationRefused"] = event_type_field("OrderCancellationRefused")
    reason: Literal[
        "already_shipped", "already_delivered", "already_cancelled", "unknown_order"
    ] = Field(
        description="Why it was refused; a shipped or delivered order can still be returned.",
        examples=["already_delivered"],
    )


OrderLifecycleEvent: TypeAlias = Annotated[
    OrderAccepted | OrderRejected | OrderCancelled | OrderCancellationRefused,
    Field(discriminator="event_type"),
]
ORDER_LIFECYCLE_EVENTS: TypeAdapter[OrderLifecycleEvent] = TypeAdapter(OrderLifecycleEvent)

PublicStatus = Literal[
    "accepted", "rejected", "backordered", "awaiting_pickup", "shipped", "out_for_delivery",
    "delivered", "delivery_failed", "delayed", "lost", "cancelled", "return_in_progress",
    "returned", "refund_requested",
]  # fmt: skip


class ParcelTracking(BaseModel):
    """Where the buyer can follow one parcel."""

    model_config = WIRE_CONFIG

    carrier_code: CarrierCode
    tracking_number: TrackingNumber


class OrderStatusChanged(OrderEnvelope):
    """The order's status as the shop shows it to the buyer changed."""

    event_type: Literal["OrderStatusChanged"] = event_type_field("OrderStatusChanged")
    status: PublicStatus = Field(description="The new status.", examples=["shipped"])
    parcels: tuple[ParcelTracking, ...] = Field(
        default=(),
        max_length=20,
        description="Tracking for every parcel booked so far (one per warehouse shipment).",
        examples=[[{"carrier_code": "swiftpost", "tracking_number": "SP1234567890US"}]],
    )
    reason: Detail | None = Field(
        default=None,
        description="Why, when the status alone does not say.",
        examples=["carrier declined"],
    )
    promised_delivery: DeliveryWindow | None = Field(
        default=None,
        description="The delivery window the buyer was promised (it never moves, even delayed).",
        examples=[{"earliest": "2026-12-07", "latest": "2026-12-09"}],
    )


# One event type today; still a discriminated union so more can be added within v1.
OrderStatusEvent: TypeAlias = Annotated[OrderStatusChanged, Field(discriminator="event_type")]
ORDER_STATUS_EVENTS: TypeAdapter[OrderStatusEvent] = TypeAdapter(OrderStatusEvent)
