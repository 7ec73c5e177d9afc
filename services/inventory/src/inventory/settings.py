"""The inventory service's settings: environment variables prefixed `INVENTORY_`."""

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from conveyor_runtime.settings import ServiceSettings
from inventory.domain.warehouses import DEFAULT_WAREHOUSES, Warehouse


class WarehouseConfig(BaseModel):
    warehouse_id: str = Field(pattern=r"^WH-(US|CA|GB)-[A-Z0-9]{2,8}$")
    market: Literal["US", "CA", "GB"]
    priority: int = Field(ge=0)


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", frozen=True, extra="ignore")

    service_name: str = "inventory"
    mongo_database: str = "inventory"
    http_port: int = 8002
    # JSON list in the environment, e.g. [{"warehouse_id": "WH-US-NJ1", "market": "US", ...}].
    warehouses: tuple[WarehouseConfig, ...] = tuple(
        WarehouseConfig(warehouse_id=w.warehouse_id, market=w.market, priority=w.priority)
        for w in DEFAULT_WAREHOUSES
    )
    # Only "shortage" is implemented: nothing is held and orders cancels the order.
    unfillable_policy: Literal["shortage"] = "shortage"
    low_stock_threshold: int = Field(default=5, ge=0)

    def network(self) -> tuple[Warehouse, ...]:
        return tuple(Warehouse(w.warehouse_id, w.market, w.priority) for w in self.warehouses)
