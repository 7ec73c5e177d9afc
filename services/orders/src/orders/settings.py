"""The orders service's settings: environment variables prefixed `ORDERS_`."""

from pydantic_settings import SettingsConfigDict

from conveyor_runtime.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", frozen=True, extra="ignore")

    service_name: str = "orders"
    mongo_database: str = "orders"
    http_port: int = 8001
