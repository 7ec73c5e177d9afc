"""The shipping service's settings: environment variables prefixed `SHIPPING_`."""

from pydantic_settings import SettingsConfigDict

from conveyor_runtime.settings import ServiceSettings


class ShippingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHIPPING_", frozen=True, extra="ignore")

    service_name: str = "shipping"
    mongo_database: str = "shipping"
    http_port: int = 8003
