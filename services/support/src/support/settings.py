"""The support service's settings: environment variables prefixed `SUPPORT_`."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from conveyor_runtime.settings import ServiceSettings


class SupportSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPORT_", frozen=True, extra="ignore")

    service_name: str = "support"
    mongo_database: str = "support"
    http_port: int = 8004
    # An open case nobody has answered by then is escalated.
    first_response_seconds: float = Field(default=4 * 3600.0, gt=0)
    # An order's purchase contacts and case texts are erased this long after the order is over
    # for support (its last case closed, its delivery): 90 days, past every return window.
    personal_data_retention_seconds: float = Field(default=90 * 86400.0, gt=0)
    # Deadlines set by this process fire on time; a sweep this often finds those set elsewhere
    # (another instance, before a restart).
    # Deadlines this process writes are known without it; the sweep (a full scan on FerretDB)
    # finds those written elsewhere, at start and then this often.
    timer_sweep_seconds: float = Field(default=300.0, gt=0)
    # After-sales, per market: days after delivery a return may be asked for, the warehouse
    # returns go to, and how long an authorised return's pickup stays valid.
    return_window_days: dict[str, int] = Field(
        default_factory=lambda: {"US": 30, "CA": 30, "GB": 14}
    )
    returns_warehouses: dict[str, str] = Field(
        default_factory=lambda: {"US": "WH-US-NJ1", "CA": "WH-CA-ON1", "GB": "WH-GB-MAN1"}
    )
    return_pickup_days: int = Field(default=14, ge=1, le=90)
