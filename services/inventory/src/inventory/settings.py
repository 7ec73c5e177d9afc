"""The inventory service's settings: environment variables prefixed `INVENTORY_`."""

from datetime import date, timedelta
from typing import Literal, cast

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from conveyor_contracts.business_days import DEFAULT_HOLIDAYS, BusinessCalendar
from conveyor_contracts.values import Market
from conveyor_runtime.settings import ServiceSettings
from inventory.domain.warehouses import DEFAULT_WAREHOUSES, Warehouse
from inventory.usecases.context import Policy


class WarehouseConfig(BaseModel):
    warehouse_id: str = Field(pattern=r"^WH-(US|CA|GB)-[A-Z0-9]{2,8}$")
    market: Literal["US", "CA", "GB"]
    priority: int = Field(ge=0)


def _default_holidays() -> dict[Market, list[date]]:
    return {cast(Market, market): sorted(days) for market, days in DEFAULT_HOLIDAYS.items()}


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
    # An order its market cannot fill: "shortage" reports it short at once (orders rejects it);
    # "backorder" holds nothing, reports it backordered and reserves it when receipts cover it,
    # or reports it short once backorder_max_wait_seconds have passed.
    unfillable_policy: Literal["shortage", "backorder"] = "backorder"
    backorder_max_wait_seconds: float = Field(default=3 * 24 * 3600, gt=0)
    # Deadlines set by this process fire on time; a sweep this often finds those set elsewhere
    # (another instance, before a restart).
    # Deadlines this process writes are known without it; the sweep (a full scan on FerretDB)
    # finds those written elsewhere, at start and then this often.
    timer_sweep_seconds: float = Field(default=300.0, gt=0)
    # LowStockDetected when a (SKU, warehouse)'s available falls to or below this from above.
    low_stock_threshold: int = Field(default=5, ge=0)
    # An inbound shipment's reconciliation ends this many business days (of its warehouse's
    # market) after the end of its expected arrival day: what is still missing then is short.
    inbound_grace_business_days: int = Field(default=2, ge=0, le=20)
    # JSON, e.g. {"US": ["2026-11-26"]}: the days off besides weekends, per market, that the
    # inbound grace skips (a market named is replaced whole, the others keep the defaults).
    holidays: dict[Market, list[date]] = Field(default_factory=_default_holidays)

    def policy(self) -> Policy:
        return Policy(
            warehouses=self.network(),
            unfillable=self.unfillable_policy,
            backorder_max_wait=timedelta(seconds=self.backorder_max_wait_seconds),
            low_stock_threshold=self.low_stock_threshold,
            calendar=BusinessCalendar.of(
                {**DEFAULT_HOLIDAYS, **{str(m): days for m, days in self.holidays.items()}}
            ),
            inbound_grace_business_days=self.inbound_grace_business_days,
        )

    def network(self) -> tuple[Warehouse, ...]:
        return tuple(Warehouse(w.warehouse_id, w.market, w.priority) for w in self.warehouses)
