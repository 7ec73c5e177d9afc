"""The warehouse's word on an inbound shipment, for operators (who run the warehouses):
``POST /inbound-shipments/{asn_id}/receiving-done`` ends its reconciliation now.

Any time while it is open; once ended (by its last receipt, the timer or an earlier signal) a
repeat answers the ASN as it ended and changes nothing. Other roles get 403, as on the stock
route.
"""

from typing import Any

from fastapi import APIRouter, HTTPException

from conveyor_runtime.auth import AUTH_RESPONSES, require
from inventory.entrypoints.sellers_http import asn_view
from inventory.usecases.context import Inventory
from inventory.usecases.end_inbound_on_receiving_done import end_inbound_on_receiving_done


def receiving_router(inventory: Inventory) -> APIRouter:
    router = APIRouter(
        tags=["inbound shipments"], dependencies=[require("operator")], responses=AUTH_RESPONSES
    )

    @router.post(
        "/inbound-shipments/{asn_id}/receiving-done",
        responses={404: {"description": "No inbound shipment of this id"}},
    )
    async def receiving_done(asn_id: str) -> dict[str, Any]:
        """The ASN as its reconciliation ended: now, or before for a repeat."""
        ended = await end_inbound_on_receiving_done(asn_id, inventory)
        if ended is None:
            raise HTTPException(status_code=404, detail=f"unknown inbound shipment {asn_id}")
        return asn_view(ended)

    return router
