"""``inventory.inbound.v1``: sellers' inbound shipments to the shop's warehouses, keyed by ASN.

A seller announces what it sends (an advance shipping notice: per SKU the units, to one
warehouse, with an expected arrival); the warehouse's receipts name the ASN they are received
against (``GoodsReceived.asn_id``), and inventory reconciles the two. Stock counts only what
was received: announced units are a promise, not stock. Every discrepancy is an event of its
own (the seller's figures and cases are built from them); the reconciliation ends once, when
every announced unit arrived, or when the grace after the expected arrival ran out.
"""

from datetime import date
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, Field, TypeAdapter

from conveyor_contracts.envelope import Envelope, event_type_field
from conveyor_contracts.values import WIRE_CONFIG, AsnId, SellerId, Sku, StockCount, WarehouseId

EXAMPLE_PRODUCER = "inventory"  # the producer shown in this module's examples

InboundUnits = Annotated[
    int, Field(ge=1, le=100_000, description="Units of one SKU (a pallet can exceed 999).")
]


class InboundEnvelope(Envelope):
    """Base of every message on the inbound topic: the ASN is the Kafka key."""

    asn_id: AsnId
    seller_id: SellerId
    warehouse_id: WarehouseId


class AnnouncedLine(BaseModel):
    model_config = WIRE_CONFIG

    sku: Sku
    units: InboundUnits = Field(examples=[480])


class ReconciledLine(BaseModel):
    model_config = WIRE_CONFIG

    sku: Sku
    expected: StockCount = Field(description="Units announced (0: not announced).", examples=[480])
    received: StockCount = Field(description="Units received against the ASN.", examples=[470])


class InboundShipmentAnnounced(InboundEnvelope):
    """A seller announced goods on their way to a warehouse."""

    event_type: Literal["InboundShipmentAnnounced"] = event_type_field("InboundShipmentAnnounced")
    expected_arrival: date = Field(
        description="The day the seller expects the goods at the warehouse (its local date).",
        examples=["2026-12-08"],
    )
    lines: tuple[AnnouncedLine, ...] = Field(
        min_length=1,
        max_length=200,
        description="Per SKU the units announced; one line per SKU.",
        examples=[[{"sku": "TEE-BLK-M", "units": 480}]],
    )


class InboundDiscrepancyFound(InboundEnvelope):
    """What arrived differs from what was announced: fewer units (``short``, known when the
    reconciliation ends), more (``over``), a SKU not announced (``unexpected_sku``), or the
    first receipt after the expected arrival (``late``). Each once per ASN (and SKU)."""

    event_type: Literal["InboundDiscrepancyFound"] = event_type_field("InboundDiscrepancyFound")
    kind: Literal["short", "over", "unexpected_sku", "late"] = Field(
        description="What differs.", examples=["short"]
    )
    sku: Sku | None = Field(
        default=None, description="The SKU concerned (none for 'late').", examples=["TEE-BLK-M"]
    )
    expected: StockCount | None = Field(
        default=None, description="Units announced of the SKU.", examples=[480]
    )
    received: StockCount | None = Field(
        default=None, description="Units of the SKU received so far.", examples=[470]
    )


class InboundShipmentReconciled(InboundEnvelope):
    """The ASN's reconciliation ended: every announced unit arrived (``complete``), or the grace
    after the expected arrival ran out, or more arrived than announced."""

    event_type: Literal["InboundShipmentReconciled"] = event_type_field("InboundShipmentReconciled")
    outcome: Literal["complete", "short", "over", "mixed"] = Field(
        description="'mixed': some SKUs short, others over or unexpected.", examples=["short"]
    )
    lines: tuple[ReconciledLine, ...] = Field(
        min_length=1,
        max_length=400,
        description="Per SKU announced or received: units expected and received.",
        examples=[[{"sku": "TEE-BLK-M", "expected": 480, "received": 470}]],
    )


InboundEvent: TypeAlias = Annotated[
    InboundShipmentAnnounced | InboundDiscrepancyFound | InboundShipmentReconciled,
    Field(discriminator="event_type"),
]
INBOUND_EVENTS: TypeAdapter[InboundEvent] = TypeAdapter(InboundEvent)
