"""A seller's own routes: announce an inbound shipment, read its stock and inbound shipments.

A seller token reaches only its own ``/sellers/{seller_id}/...``: another seller's answers 404,
exactly as a seller with nothing would not (no confirmation that it exists). An operator token
reads any seller's; other roles get 403. Only the seller announces its shipments.
"""

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from conveyor_contracts.inbound import InboundUnits
from conveyor_contracts.values import Sku, WarehouseId
from conveyor_runtime.auth import AUTH_RESPONSES, Caller, Role, require
from inventory.domain.inbound import Asn, reconciled_lines
from inventory.usecases.announce_inbound_shipment import (
    Announcement,
    InvalidAnnouncementError,
    ReferenceTakenError,
    announce_inbound_shipment,
)
from inventory.usecases.context import Inventory

NOT_YOURS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such seller for this token (another seller's)"}
}


class LineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    units: InboundUnits


class AnnouncementBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$",
        description="The seller's own reference of the shipment: a retry under the same one "
        "announces nothing twice.",
        examples=["PO-2026-0042"],
    )
    warehouse_id: WarehouseId
    expected_arrival: date = Field(description="The warehouse's local date.")
    lines: list[LineBody] = Field(min_length=1, max_length=200)


def _seller(*roles: Role) -> Any:
    """The path's seller, when the token may see it: 404 for another seller's token."""
    caller_of = require(*roles)

    async def seller(seller_id: str, caller: Caller = caller_of) -> str:
        if caller.role == "seller" and caller.subject != seller_id:
            raise HTTPException(404, "not found")
        return seller_id

    return Depends(seller)


def sellers_router(inventory: Inventory) -> APIRouter:
    router = APIRouter(tags=["sellers"], responses=AUTH_RESPONSES | NOT_YOURS)
    base = "/sellers/{seller_id}"

    @router.post(
        f"{base}/inbound-shipments",
        status_code=201,
        responses={
            200: {"description": "Announced before under this reference: as stored"},
            409: {"description": "The reference names another announcement"},
        },
    )
    async def announce(
        body: AnnouncementBody, response: Response, seller_id: str = _seller("seller")
    ) -> dict[str, Any]:
        request = Announcement(
            seller_id,
            body.warehouse_id,
            body.expected_arrival,
            tuple((line.sku, line.units) for line in body.lines),
            body.reference,
        )
        try:
            announced = await announce_inbound_shipment(request, inventory)
        except InvalidAnnouncementError as refused:
            errors = [
                {"loc": tuple(p.field.split(".")), "msg": p.reason, "type": "value_error"}
                for p in refused.problems
            ]
            raise RequestValidationError(errors) from None
        except ReferenceTakenError as taken:
            raise HTTPException(409, str(taken)) from None
        if not announced.created:
            response.status_code = 200
        return asn_view(announced.asn)

    @router.get(f"{base}/inbound-shipments")
    async def inbound_shipments(
        seller_id: str = _seller("seller", "operator"),
    ) -> dict[str, Any]:
        assert inventory.inbound is not None
        shipments = await inventory.inbound.of_seller(seller_id)
        return {"seller_id": seller_id, "inbound_shipments": [asn_view(a) for a in shipments]}

    @router.get(f"{base}/stock")
    async def stock(seller_id: str = _seller("seller", "operator")) -> dict[str, Any]:
        shelves = await inventory.stock.of_seller(seller_id)
        return {
            "seller_id": seller_id,
            "stock": [
                {
                    "sku": sku,
                    "warehouse_id": warehouse_id,
                    "on_hand": shelf.level.on_hand,
                    "reserved": shelf.level.reserved,
                    "available": shelf.level.available,
                }
                for (warehouse_id, sku), shelf in sorted(shelves.items(), key=_by_sku)
            ],
        }

    return router


def _by_sku(item: tuple[tuple[str, str], object]) -> tuple[str, str]:
    (warehouse_id, sku), _ = item
    return sku, warehouse_id


def asn_view(asn: Asn) -> dict[str, Any]:
    return {
        "asn_id": asn.asn_id,
        "reference": asn.reference,
        "warehouse_id": asn.warehouse_id,
        "expected_arrival": asn.expected_arrival.isoformat(),
        "status": asn.status,
        "outcome": asn.outcome,  # null while open
        "reconciliation_ends_at": asn.closes_at.isoformat(),
        "lines": [
            {"sku": sku, "expected": expected, "received": received}
            for sku, expected, received in reconciled_lines(asn)
        ],
        "discrepancies": [
            {"kind": d.kind, "sku": d.sku, "expected": d.expected, "received": d.received}
            for d in asn.discrepancies
        ],
    }
