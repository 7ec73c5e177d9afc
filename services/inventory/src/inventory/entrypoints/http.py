"""`GET /stock/{sku}`: levels per warehouse, for people and the simulators."""

from fastapi import APIRouter, HTTPException

from inventory.ports import StockStore


def stock_router(stock: StockStore) -> APIRouter:
    router = APIRouter()

    @router.get("/stock/{sku}")
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
