"""`GET /stock/{sku}`: levels and seller per warehouse, for operators (bearer tokens of that
role)."""

from fastapi import APIRouter, HTTPException

from conveyor_runtime.auth import AUTH_RESPONSES, require
from inventory.ports import StockStore


def stock_router(stock: StockStore) -> APIRouter:
    router = APIRouter(tags=["stock"], dependencies=[require("operator")], responses=AUTH_RESPONSES)

    @router.get("/stock/{sku}", responses={404: {"description": "No stock of this SKU anywhere"}})
    async def get_stock(sku: str) -> dict[str, object]:
        shelves = await stock.shelves(sku)
        if not shelves:
            raise HTTPException(status_code=404, detail=f"unknown SKU {sku}")
        return {
            "sku": sku,
            "warehouses": [
                {
                    "warehouse_id": warehouse_id,
                    "on_hand": shelf.level.on_hand,
                    "reserved": shelf.level.reserved,
                    "available": shelf.level.available,
                    "seller_id": shelf.seller_id,  # None until a receipt names the seller
                }
                for warehouse_id, shelf in sorted(shelves.items())
            ],
        }

    return router
