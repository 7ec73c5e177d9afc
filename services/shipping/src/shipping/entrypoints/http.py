"""The shipping read API: a shipment, and the shipments of an order. No personal data: the
address and recipient stay with the booking, not in the read model. For operators (bearer
tokens of that role)."""

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from conveyor_runtime.auth import AUTH_RESPONSES, require
from shipping.domain.shipment import Fulfilment, Shipment
from shipping.ports import FulfilmentRepository


class LineView(BaseModel):
    sku: str
    quantity: int


class ScanView(BaseModel):
    status: str
    scanned_at: datetime
    location_code: str


class ShipmentView(BaseModel):
    shipment_id: str
    order_id: str
    direction: str
    rma_id: str | None
    status: str
    warehouse_id: str
    lines: list[LineView]
    carrier_code: str | None
    carriers_tried: list[str]
    tracking_number: str | None
    pickup_by: datetime | None
    deliver_by: datetime | None
    sla_breached: bool
    scans: list[ScanView]  # in the order they happened

    @classmethod
    def of(cls, fulfilment: Fulfilment, shipment: Shipment) -> "ShipmentView":
        return cls(
            shipment_id=shipment.shipment_id,
            order_id=fulfilment.order_id,
            direction=shipment.direction,
            rma_id=shipment.returning.rma_id if shipment.returning else None,
            status=shipment.status.value,
            warehouse_id=shipment.warehouse_id,
            lines=[LineView(sku=line.sku, quantity=line.quantity) for line in shipment.lines],
            carrier_code=shipment.carrier_code,
            carriers_tried=list(shipment.carriers_tried),
            tracking_number=shipment.tracking_number,
            pickup_by=shipment.pickup_by,
            deliver_by=shipment.deliver_by,
            sla_breached=shipment.sla_breached,
            scans=[
                ScanView(status=s.status, scanned_at=s.scanned_at, location_code=s.location_code)
                for s in sorted(shipment.scans, key=lambda s: s.scanned_at)
            ],
        )


def shipments_router(fulfilments: FulfilmentRepository) -> APIRouter:
    router = APIRouter(
        tags=["shipments"], dependencies=[require("operator")], responses=AUTH_RESPONSES
    )

    @router.get("/shipments/{shipment_id}", responses={404: {"description": "No such shipment"}})
    async def get_shipment(shipment_id: str) -> ShipmentView:
        fulfilment = await fulfilments.with_shipment(shipment_id)
        shipment = fulfilment.shipment(shipment_id) if fulfilment else None
        if fulfilment is None or shipment is None:
            raise HTTPException(status_code=404, detail=f"no shipment {shipment_id!r}")
        return ShipmentView.of(fulfilment, shipment)

    @router.get(
        "/orders/{order_id}/shipments",
        responses={404: {"description": "Shipping knows no order with this id"}},
    )
    async def get_order_shipments(order_id: str) -> list[ShipmentView]:
        fulfilment = await fulfilments.get(order_id)
        if fulfilment is None:
            raise HTTPException(status_code=404, detail=f"no shipments for order {order_id!r}")
        return [ShipmentView.of(fulfilment, shipment) for shipment in fulfilment.shipments]

    return router
