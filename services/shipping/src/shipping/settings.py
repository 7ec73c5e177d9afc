"""The shipping service's settings: environment variables prefixed `SHIPPING_`."""

from datetime import date

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from conveyor_contracts.address import Site
from conveyor_contracts.business_days import DEFAULT_HOLIDAYS
from conveyor_contracts.values import Market
from conveyor_runtime.settings import ServiceSettings
from shipping.domain.catalogue import DEFAULT_CARRIERS, DEFAULT_SITES, Carrier, ServiceLevel


class ShippingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHIPPING_", frozen=True, extra="ignore")

    service_name: str = "shipping"
    mongo_database: str = "shipping"
    http_port: int = 8003
    # JSON lists in the environment; the defaults are the carriers onboarded today.
    carriers: tuple[Carrier, ...] = DEFAULT_CARRIERS
    sites: tuple[Site, ...] = DEFAULT_SITES
    # Days from acceptance to the end of the promised delivery day, per service level.
    promise_days: dict[ServiceLevel, int] = Field(default={"standard": 5, "express": 2})
    # A carrier that has not answered a booking by then counts as having declined it.
    acceptance_timeout_seconds: float = Field(default=1800.0, gt=0)
    # Carriers asked for one shipment before giving up with ShipmentBookingFailed.
    max_booking_attempts: int = Field(default=3, ge=1)
    # Failed delivery attempts after which the parcel is returned to the warehouse.
    max_delivery_attempts: int = Field(default=2, ge=1)
    # No scan for this long on a parcel in flight raises a "delayed" exception.
    tracking_silence_seconds: float = Field(default=48 * 3600.0, gt=0)
    # An order's addresses and contacts are erased this long after its last parcel ended
    # (90 days: delivery disputes and carrier claims are settled by then).
    personal_data_retention_seconds: float = Field(default=90 * 86400.0, gt=0)
    # Days off besides weekends per market (JSON): a promise's last day ends, and a forecast
    # counts the carrier's transit days, in the market's business days.
    holidays: dict[Market, list[date]] = Field(
        default={
            "US": sorted(DEFAULT_HOLIDAYS["US"]),
            "CA": sorted(DEFAULT_HOLIDAYS["CA"]),
            "GB": sorted(DEFAULT_HOLIDAYS["GB"]),
        }
    )
    # Carriers rank on price x (1 + weight x (1 - 30-day on-time rate)): 0 ranks on price alone.
    on_time_weight: float = Field(default=1.0, ge=0)
    # Fewer deliveries than this in 30 days is no record yet: the carrier ranks on price alone.
    on_time_min_deliveries: int = Field(default=20, ge=0)
    # Scorecards are counted from the database this often, so booking never queries per order.
    scorecard_refresh_seconds: float = Field(default=60.0, gt=0)
    # Parcel weight per unit until the catalogue carries real weights.
    unit_weight_grams: int = Field(default=500, ge=1)
    # Deadlines set by this process fire on time; a sweep this often finds those set elsewhere
    # (another instance, before a restart).
    # Deadlines this process writes are known without it; the sweep (a full scan on FerretDB)
    # finds those written elsewhere, at start and then this often.
    timer_sweep_seconds: float = Field(default=300.0, gt=0)
