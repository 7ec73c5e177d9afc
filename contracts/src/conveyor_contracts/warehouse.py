"""What warehouses report: ``warehouse.receipts.v1`` (goods in and counts, keyed by SKU) and
``warehouse.returns.v1`` (returned parcels and their inspection, keyed by order id)."""

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, Field, TypeAdapter

from conveyor_contracts.envelope import OrderEnvelope, event_type_field
from conveyor_contracts.stock import SkuEnvelope
from conveyor_contracts.values import (
    WIRE_CONFIG,
    AsnId,
    Quantity,
    RmaId,
    SellerId,
    ShipmentId,
    Sku,
    StockCount,
    WarehouseId,
)

EXAMPLE_PRODUCER = "warehouse"  # the producer shown in this module's examples

WarehouseReference = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9][A-Z0-9-]{3,39}$",
        description="The warehouse system's own document number (receipt, count sheet).",
        examples=["GRN-2026-000123"],
    ),
]


class GoodsReceived(SkuEnvelope):
    """Units of a SKU arrived from a supplier and were put away."""

    event_type: Literal["GoodsReceived"] = event_type_field("GoodsReceived")
    quantity: int = Field(
        ge=1, le=100_000, description="Units put away (a pallet can exceed 999).", examples=[480]
    )
    receipt_ref: WarehouseReference
    seller_id: SellerId | None = Field(
        default=None,
        description="The seller whose goods arrived; absent from receipts older than sellers.",
        examples=["sel_01J9ZA4S7K2L"],
    )
    asn_id: AsnId | None = Field(
        default=None,
        description="The inbound shipment notice the goods were received against, if any.",
        examples=["asn_01J9ZD3F6G7H"],
    )


class StockCounted(SkuEnvelope):
    """A physical count of a SKU: inventory adopts it as the truth for on-hand stock."""

    event_type: Literal["StockCounted"] = event_type_field("StockCounted")
    counted: StockCount = Field(description="Units found on the shelf.", examples=[118])
    count_ref: WarehouseReference


ReceiptEvent: TypeAlias = Annotated[GoodsReceived | StockCounted, Field(discriminator="event_type")]
RECEIPT_EVENTS: TypeAdapter[ReceiptEvent] = TypeAdapter(ReceiptEvent)


class InspectedLine(BaseModel):
    """Units of one SKU found in a returned parcel, and their state."""

    model_config = WIRE_CONFIG

    sku: Sku
    quantity: Quantity
    condition: Literal["resellable", "damaged", "missing"] = Field(
        description="resellable goes back to stock; damaged and missing are written off.",
        examples=["resellable"],
    )


class _ReturnedParcel(OrderEnvelope):
    shipment_id: ShipmentId = Field(
        description="The parcel that came back: a return pickup or a recall."
    )
    rma_id: RmaId | None = Field(
        default=None,
        description="The return authorisation; absent for a parcel the carrier returned to sender.",
        examples=["rma_01J9ZB7P0D4N"],
    )
    warehouse_id: WarehouseId


class ReturnReceived(_ReturnedParcel):
    """A returned parcel arrived at the warehouse dock, not yet inspected."""

    event_type: Literal["ReturnReceived"] = event_type_field("ReturnReceived")


class ReturnInspected(_ReturnedParcel):
    """A returned parcel was opened and each line judged."""

    event_type: Literal["ReturnInspected"] = event_type_field("ReturnInspected")
    lines: tuple[InspectedLine, ...] = Field(
        min_length=1,
        max_length=100,
        description="What was found, per SKU and condition.",
        examples=[[{"sku": "TEE-BLK-M", "quantity": 1, "condition": "resellable"}]],
    )


ReturnEvent: TypeAlias = Annotated[
    ReturnReceived | ReturnInspected, Field(discriminator="event_type")
]
RETURN_EVENTS: TypeAdapter[ReturnEvent] = TypeAdapter(ReturnEvent)
