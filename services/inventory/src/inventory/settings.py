"""The inventory service's settings: environment variables prefixed `INVENTORY_`."""

from pydantic_settings import SettingsConfigDict

from conveyor_runtime.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", frozen=True, extra="ignore")

    service_name: str = "inventory"
    mongo_database: str = "inventory"
    http_port: int = 8002
