"""The support service's settings: environment variables prefixed `SUPPORT_`."""

from pydantic_settings import SettingsConfigDict

from conveyor_runtime.settings import ServiceSettings


class SupportSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPORT_", frozen=True, extra="ignore")

    service_name: str = "support"
    mongo_database: str = "support"
    http_port: int = 8004
