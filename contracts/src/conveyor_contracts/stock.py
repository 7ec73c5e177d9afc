"""``inventory.stock.v1``: stock levels per SKU and warehouse (keyed by SKU, not by order)."""

from typing import Annotated, Literal, Self, TypeAlias

from pydantic import Field, TypeAdapter, model_validator

from conveyor_contracts.envelope import Envelope, event_type_field
from conveyor_contracts.values import SellerId, Sku, StockCount, WarehouseId

EXAMPLE_PRODUCER = "inventory"  # the producer shown in this module's examples


class SkuEnvelope(Envelope):
    """Base of every message on a SKU-keyed topic: the SKU is the Kafka key."""

    sku: Sku
    warehouse_id: WarehouseId


class StockLevelChanged(SkuEnvelope):
    """A SKU's stock in one warehouse changed; the levels are absolute, not deltas, so a consumer
    that missed one still ends up right."""

    event_type: Literal["StockLevelChanged"] = event_type_field("StockLevelChanged")
    on_hand: StockCount = Field(description="Units physically in the warehouse.", examples=[120])
    reserved: StockCount = Field(description="Units on hand held for orders.", examples=[20])
    available: StockCount = Field(description="on_hand minus reserved.", examples=[100])
    cause: Literal[
        "goods_received", "counted", "reserved", "released", "committed", "restocked"
    ] = Field(description="What changed it.", examples=["reserved"])
    seller_id: SellerId | None = Field(
        default=None,
        description="The seller whose stock this is; absent until the SKU's seller is known.",
        examples=["sel_01J9ZA4S7K2L"],
    )

    @model_validator(mode="after")
    def _levels_agree(self) -> Self:
        # Inventory's own invariant, so a message breaking it is a producer bug: dead-letter it.
        if self.available != self.on_hand - self.reserved:
            raise ValueError("available must equal on_hand - reserved")
        return self


class LowStockDetected(SkuEnvelope):
    """Available stock of a SKU in a warehouse fell to or below its reorder threshold."""

    event_type: Literal["LowStockDetected"] = event_type_field("LowStockDetected")
    available: StockCount = Field(description="Units available now.", examples=[4])
    threshold: StockCount = Field(description="Reorder threshold for this SKU here.", examples=[10])

    @model_validator(mode="after")
    def _is_low(self) -> Self:
        if self.available > self.threshold:
            raise ValueError("available is above the threshold: not low")
        return self


StockEvent: TypeAlias = Annotated[
    StockLevelChanged | LowStockDetected, Field(discriminator="event_type")
]
STOCK_EVENTS: TypeAdapter[StockEvent] = TypeAdapter(StockEvent)
