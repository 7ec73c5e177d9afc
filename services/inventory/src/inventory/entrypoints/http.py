"""`GET /stock/{sku}`: levels per warehouse, for operators (bearer tokens of that role)."""

from fastapi import APIRouter, HTTPException

from conveyor_runtime.auth import AUTH_RESPONSES, require
from inventory.ports import StockStore


def stock_router(stock: StockStore) -> APIRouter:
    router = APIRouter(tags=["stock"], dependencies=[require("operator")], responses=AUTH_RESPONSES)

    @router.get("/stock/{sku}", responses={404: {"description": "No stock of this SKU anywhere"}})
    async def get_stock(sku: str) -> dict[str, object]:
        levels = await stock.levels(sku)
        if not levels:
            raise HTTPException(status_code=404, detail=f"unknown SKU {sku}")
        return {
            "sku": sku,
            "warehouses": [
                {
                    "warehouse_id": warehouse_id,
                    "on_hand": level.on_hand,
                    "reserved": level.reserved,
                    "available": level.available,
                }
                for warehouse_id, level in sorted(levels.items())
            ],
        }

    return router
