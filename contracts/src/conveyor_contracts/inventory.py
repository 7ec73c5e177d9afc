"""``inventory.reservations.v1``: what inventory did with an order's stock (keyed by order id)."""

from datetime import date
from typing import Annotated, Literal, Self, TypeAlias

from pydantic import BaseModel, Field, TypeAdapter, model_validator

from conveyor_contracts.envelope import OrderEnvelope, event_type_field
from conveyor_contracts.values import (
    WIRE_CONFIG,
    CaseId,
    Quantity,
    ReservationId,
    RmaId,
    ShipmentId,
    Sku,
    StockCount,
    StockLine,
    StockLines,
    WarehouseId,
)

EXAMPLE_PRODUCER = "inventory"  # the producer shown in this module's examples


class WarehouseAllocation(BaseModel):
    """The lines one warehouse reserved: it becomes exactly one shipment."""

    model_config = WIRE_CONFIG

    warehouse_id: WarehouseId
    lines: StockLines


class ShortLine(BaseModel):
    """A line inventory could not cover."""

    model_config = WIRE_CONFIG

    sku: Sku
    requested: Quantity
    available: StockCount = Field(
        description="Units available across all warehouses.", examples=[0]
    )

    @model_validator(mode="after")
    def _is_short(self) -> Self:
        if self.available >= self.requested:
            raise ValueError("a short line has fewer units available than requested")
        return self


class StockReserved(OrderEnvelope):
    """Every line is reserved, split across warehouses: shipping books one shipment each."""

    event_type: Literal["StockReserved"] = event_type_field("StockReserved")
    reservation_id: ReservationId
    allocations: tuple[WarehouseAllocation, ...] = Field(
        min_length=1,
        max_length=10,
        description="One entry per warehouse; a warehouse appears once.",
        examples=[[{"warehouse_id": "WH-US-NJ1", "lines": [{"sku": "TEE-BLK-M", "quantity": 2}]}]],
    )
    case_id: CaseId | None = Field(
        default=None,
        description="Set when the reservation is for a reshipment a support case approved.",
        examples=["case_01J9Z9XK3R2M"],
    )

    @model_validator(mode="after")
    def _one_allocation_per_warehouse(self) -> Self:
        warehouses = [allocation.warehouse_id for allocation in self.allocations]
        if len(set(warehouses)) != len(warehouses):
            raise ValueError("a warehouse appears in more than one allocation")
        return self


class StockBackordered(OrderEnvelope):
    """Not enough stock yet, but goods are expected: nothing is held; inventory reserves the whole
    order (``StockReserved``) when receipts cover it."""

    event_type: Literal["StockBackordered"] = event_type_field("StockBackordered")
    short_lines: tuple[ShortLine, ...] = Field(
        min_length=1,
        max_length=100,
        description="Lines that cannot be covered today.",
        examples=[[{"sku": "TEE-BLK-M", "requested": 2, "available": 1}]],
    )
    expected_by: date | None = Field(
        default=None, description="When receipts are expected to cover it.", examples=["2026-03-21"]
    )


class StockShortage(OrderEnvelope):
    """Not enough stock and none expected: nothing is held; orders cancels the order."""

    event_type: Literal["StockShortage"] = event_type_field("StockShortage")
    short_lines: tuple[ShortLine, ...] = Field(
        min_length=1,
        max_length=100,
        description="Lines that cannot be covered.",
        examples=[[{"sku": "TEE-BLK-M", "requested": 2, "available": 0}]],
    )


class StockReleased(OrderEnvelope):
    """A reservation was given back to available stock."""

    event_type: Literal["StockReleased"] = event_type_field("StockReleased")
    reservation_id: ReservationId
    reason: Literal["order_cancelled", "shipment_cancelled"] = Field(
        description="What undid the reservation.", examples=["order_cancelled"]
    )


class StockCommitted(OrderEnvelope):
    """A shipment left its warehouse: its reserved units are gone from stock for good."""

    event_type: Literal["StockCommitted"] = event_type_field("StockCommitted")
    reservation_id: ReservationId
    shipment_id: ShipmentId
    warehouse_id: WarehouseId
    lines: StockLines


class StockRestocked(OrderEnvelope):
    """Inspected returned goods were put back on the shelf or written off."""

    event_type: Literal["StockRestocked"] = event_type_field("StockRestocked")
    shipment_id: ShipmentId = Field(description="The parcel that came back (return or recall).")
    rma_id: RmaId | None = Field(
        default=None,
        description="The return authorisation, if it was a return.",
        examples=["rma_01J9ZB7P0D4N"],
    )
    warehouse_id: WarehouseId
    restocked: tuple[StockLine, ...] = Field(
        default=(),
        max_length=100,
        description="Units back in available stock.",
        examples=[[{"sku": "TEE-BLK-M", "quantity": 1}]],
    )
    written_off: tuple[StockLine, ...] = Field(
        default=(),
        max_length=100,
        description="Damaged or missing units, removed from stock.",
        examples=[[{"sku": "TEE-BLK-M", "quantity": 1}]],
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.restocked and not self.written_off:
            raise ValueError("a restock restocks or writes off at least one line")
        return self


ReservationEvent: TypeAlias = Annotated[
    StockReserved
    | StockBackordered
    | StockShortage
    | StockReleased
    | StockCommitted
    | StockRestocked,
    Field(discriminator="event_type"),
]
RESERVATION_EVENTS: TypeAdapter[ReservationEvent] = TypeAdapter(ReservationEvent)
