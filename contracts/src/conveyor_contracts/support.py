"""What support decides: ``support.cases.v1`` (cases, returns, reshipments) and
``support.refunds.v1`` (refund requests for the shop's payments owner). Both keyed by order id."""

from datetime import date
from typing import Annotated, Literal, Self, TypeAlias

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from conveyor_contracts.address import PERSONAL, Contact, PostalAddress
from conveyor_contracts.checkout import CancellationReason
from conveyor_contracts.envelope import OrderEnvelope, event_type_field
from conveyor_contracts.erasure import PersonalDataErased
from conveyor_contracts.values import (
    WIRE_CONFIG,
    CaseId,
    Money,
    Quantity,
    RefundId,
    RmaId,
    SellerId,
    ShipmentId,
    Sku,
    StockLines,
    WarehouseId,
)

EXAMPLE_PRODUCER = "support"  # the producer shown in this module's examples


class _CaseEvent(OrderEnvelope):
    case_id: CaseId


class CaseOpened(_CaseEvent):
    """A support case was opened by a buyer, an agent, or automatically by an exception."""

    event_type: Literal["CaseOpened"] = event_type_field("CaseOpened")
    kind: Literal[
        "where_is_my_order", "damaged", "missing", "return_request", "cancellation_request",
        "delivery_exception", "sla_breach", "lost_parcel", "other",
    ] = Field(description="What the case is about.", examples=["where_is_my_order"])  # fmt: skip
    opened_by: Literal["buyer", "agent", "system"] = Field(
        description="'system' for cases opened automatically by an event.", examples=["buyer"]
    )
    shipment_id: ShipmentId | None = Field(
        default=None, description="The parcel concerned, if one.", examples=["shp_01J9Z4B6T2W8"]
    )
    seller_ids: tuple[SellerId, ...] = Field(
        default=(),
        max_length=100,
        description=(
            "The sellers whose goods the case concerns (the parcel's, else the order's); empty"
            " when not known."
        ),
        examples=[["sel_01J9ZA4S7K2L"]],
    )
    summary: str | None = Field(
        default=None,
        max_length=500,
        description="What the buyer or agent wrote; free text, so personal data.",
        examples=["Box arrived crushed, mug broken"],
        json_schema_extra=PERSONAL,
    )


class CaseCancellationRequested(_CaseEvent):
    """Through a case, the buyer asked to cancel the order; orders decides as for checkout."""

    event_type: Literal["CaseCancellationRequested"] = event_type_field("CaseCancellationRequested")
    reason: CancellationReason


class ReturnLine(BaseModel):
    """Units of one SKU the buyer may send back, and why."""

    model_config = WIRE_CONFIG

    sku: Sku
    quantity: Quantity
    reason: Literal["damaged", "wrong_item", "not_as_described", "changed_mind", "other"] = Field(
        description="Buyer's reason.", examples=["damaged"]
    )


class ReturnAuthorised(_CaseEvent):
    """An agent authorised a return (RMA): shipping books the pickup with a carrier."""

    event_type: Literal["ReturnAuthorised"] = event_type_field("ReturnAuthorised")
    rma_id: RmaId
    lines: tuple[ReturnLine, ...] = Field(
        min_length=1,
        max_length=100,
        description="What may come back.",
        examples=[[{"sku": "TEE-BLK-M", "quantity": 1, "reason": "damaged"}]],
    )
    collect_from: PostalAddress = Field(
        description="Where the carrier collects it.",
        examples=[
            {
                "address_lines": ["1 Market Street"],
                "city": "San Francisco",
                "postal_code": "94105",
                "country": "US",
            }
        ],
    )
    sender: Contact = Field(
        description="Buyer handing it over.", examples=[{"name": "Ada Lovelace"}]
    )
    return_to: WarehouseId = Field(description="Warehouse that receives and inspects it.")
    expires_on: date = Field(description="Last day the pickup may happen.", examples=["2026-04-14"])


class ReshipmentApproved(_CaseEvent):
    """An agent decided to send the lines again (damaged, lost or missing): inventory reserves."""

    event_type: Literal["ReshipmentApproved"] = event_type_field("ReshipmentApproved")
    lines: StockLines
    reason: Literal["damaged", "lost", "missing_items"] = Field(
        description="Why.", examples=["lost"]
    )


class CaseResolved(_CaseEvent):
    """The case is closed, with how it ended."""

    event_type: Literal["CaseResolved"] = event_type_field("CaseResolved")
    resolution: Literal[
        "answered", "reshipped", "refunded", "returned", "cancelled", "declined", "no_action",
    ] = Field(description="Outcome.", examples=["answered"])  # fmt: skip


class SupportPersonalDataErased(PersonalDataErased):
    """Support erased the order's purchase contacts, its cases' free text and the buyer link."""

    event_type: Literal["SupportPersonalDataErased"] = event_type_field("SupportPersonalDataErased")


SupportCaseEvent: TypeAlias = Annotated[
    CaseOpened
    | CaseCancellationRequested
    | ReturnAuthorised
    | ReshipmentApproved
    | CaseResolved
    | SupportPersonalDataErased,
    Field(discriminator="event_type"),
]
SUPPORT_CASE_EVENTS: TypeAdapter[SupportCaseEvent] = TypeAdapter(SupportCaseEvent)


class RefundRequested(OrderEnvelope):
    """Support asks the shop's payments owner to refund the buyer; Conveyor moves no money."""

    event_type: Literal["RefundRequested"] = event_type_field("RefundRequested")
    refund_id: RefundId
    case_id: CaseId
    rma_id: RmaId | None = Field(
        default=None, description="The return, if any.", examples=["rma_01J9ZB7P0D4N"]
    )
    amount: Money = Field(
        description="To refund; more than zero.",
        examples=[{"amount_minor": 1999, "currency": "USD"}],
    )
    reason: Literal[
        "returned", "damaged", "lost", "missing_items", "cancelled_after_pickup", "late_delivery"
    ] = Field(description="Why.", examples=["returned"])

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if self.amount.amount_minor == 0:
            raise ValueError("a refund of zero is not a refund")
        return self


# One event type today; still a discriminated union so more can be added within v1.
RefundEvent: TypeAlias = Annotated[RefundRequested, Field(discriminator="event_type")]
REFUND_EVENTS: TypeAdapter[RefundEvent] = TypeAdapter(RefundEvent)
