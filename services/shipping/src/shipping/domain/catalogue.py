"""The carriers shipping may book and the warehouses they collect from: configuration as data.

Which markets, areas and service levels a carrier serves, what it charges and how fast it is are
shipping's business knowledge, not part of the contracts: onboarding terms change by contract
with the carrier, and settings may replace these defaults (``SHIPPING_CARRIERS`` as JSON).
"""

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from conveyor_contracts.address import PostalAddress, Site

ServiceLevel = Literal["standard", "express"]
Zone = Literal[1, 2]  # 1: within the warehouse's own area; 2: anywhere else in the market


class RateBand(BaseModel):
    """Up to ``max_grams`` a parcel costs ``price_minor`` (in the market's currency)."""

    model_config = ConfigDict(frozen=True)

    max_grams: int = Field(ge=1, le=70_000)
    price_minor: int = Field(ge=0)


class Carrier(BaseModel):
    """One subcontracted carrier's terms."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9]{2,19}$")
    market: Literal["US", "CA", "GB"]
    areas: frozenset[str] = Field(
        default=frozenset(),
        description="States/provinces (US, CA) or postcode areas (GB) served; empty: all.",
    )
    transit_days: dict[ServiceLevel, int] = Field(
        description="Days from pickup to door per service level offered."
    )
    rates: dict[Zone, tuple[RateBand, ...]] = Field(description="Weight bands per zone.")
    daily_capacity: int = Field(ge=1, description="Parcels it will collect per day.")
    pickup_window_hours: float = Field(gt=0, description="Collects within this after booking.")


def area_of(address: PostalAddress) -> str:
    """The area a carrier's coverage is expressed in: the region in North America, the postcode
    area (its leading letters) in Great Britain."""
    if address.country == "GB":
        match = re.match(r"[A-Z]+", address.postal_code.strip().upper())
        return match.group() if match else ""
    return address.region or ""


def serves(carrier: Carrier, destination: PostalAddress, level: str) -> bool:
    return (
        carrier.market == destination.country
        and level in carrier.transit_days
        and (not carrier.areas or area_of(destination) in carrier.areas)
    )


def price(carrier: Carrier, origin: PostalAddress, destination: PostalAddress, grams: int) -> int:
    """What the carrier charges for one parcel; a weight above every band is not accepted."""
    zone: Zone = 1 if area_of(origin) == area_of(destination) else 2
    for band in carrier.rates[zone]:
        if grams <= band.max_grams:
            return band.price_minor
    raise ValueError(f"{carrier.code} takes no parcel of {grams} g")


def _bands(*pairs: tuple[int, int]) -> tuple[RateBand, ...]:
    return tuple(RateBand(max_grams=grams, price_minor=price) for grams, price in pairs)


_US_EAST = frozenset(
    {"ME", "NH", "VT", "MA", "RI", "CT", "NY", "NJ", "PA", "DE", "MD", "DC", "VA", "WV", "NC",
     "SC", "GA", "FL"}
)  # fmt: skip
_GB_NORTH = frozenset(  # Scotland and the North of England, by postcode area
    {"AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "TD",
     "ZE", "NE", "DH", "SR", "TS", "DL", "CA", "LA", "BD", "HG", "HX", "LS", "YO"}
)  # fmt: skip

DEFAULT_CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        code="swiftpost",
        market="US",
        transit_days={"standard": 3, "express": 1},
        rates={
            1: _bands((1000, 699), (5000, 999), (70_000, 2199)),
            2: _bands((1000, 899), (5000, 1299), (70_000, 2699)),
        },
        daily_capacity=20_000,
        pickup_window_hours=24,
    ),
    Carrier(
        code="libertyparcel",
        market="US",
        areas=_US_EAST,
        transit_days={"standard": 2},
        rates={
            1: _bands((1000, 499), (5000, 799), (30_000, 1799)),
            2: _bands((1000, 649), (5000, 949), (30_000, 1999)),
        },
        daily_capacity=5_000,
        pickup_window_hours=24,
    ),
    Carrier(
        code="maplefreight",
        market="CA",
        transit_days={"standard": 4, "express": 2},
        rates={
            1: _bands((1000, 899), (5000, 1399), (70_000, 2999)),
            2: _bands((1000, 1199), (5000, 1699), (70_000, 3499)),
        },
        daily_capacity=10_000,
        pickup_window_hours=24,
    ),
    Carrier(
        code="borealexpress",
        market="CA",
        areas=frozenset({"ON", "QC"}),
        transit_days={"standard": 2, "express": 1},
        rates={
            1: _bands((1000, 799), (5000, 1199), (30_000, 2599)),
            2: _bands((1000, 999), (5000, 1499), (30_000, 2899)),
        },
        daily_capacity=3_000,
        pickup_window_hours=12,
    ),
    Carrier(
        code="thamesparcel",
        market="GB",
        transit_days={"standard": 3, "express": 1},
        rates={
            1: _bands((1000, 399), (5000, 599), (70_000, 1499)),
            2: _bands((1000, 499), (5000, 699), (70_000, 1699)),
        },
        daily_capacity=15_000,
        pickup_window_hours=24,
    ),
    Carrier(
        code="highlandcourier",
        market="GB",
        areas=_GB_NORTH,
        transit_days={"standard": 2},
        rates={
            1: _bands((1000, 349), (5000, 549), (30_000, 1299)),
            2: _bands((1000, 449), (5000, 649), (30_000, 1499)),
        },
        daily_capacity=4_000,
        pickup_window_hours=24,
    ),
)


def _site(warehouse_id: str, line: str, city: str, region: str | None, postcode: str) -> Site:
    address = {
        "address_lines": [line],
        "city": city,
        "region": region,
        "postal_code": postcode,
        "country": warehouse_id[3:5],
    }
    return Site.model_validate({"warehouse_id": warehouse_id, "address": address})


# The dock each warehouse hands parcels over at (inventory owns which warehouse holds what).
DEFAULT_SITES: tuple[Site, ...] = (
    _site("WH-US-NJ1", "200 Dock Road", "Newark", "NJ", "07114"),
    _site("WH-US-CA1", "1500 Mission Boulevard", "Ontario", "CA", "91761"),
    _site("WH-US-TX1", "4800 Logistics Way", "Dallas", "TX", "75241"),
    _site("WH-CA-ON1", "6800 Airport Road", "Mississauga", "ON", "L5T 2N7"),
    _site("WH-CA-BC1", "7700 Tilbury Road", "Delta", "BC", "V4G 1A1"),
    _site("WH-GB-LON1", "1 Thames Gateway", "Barking", None, "IG11 0TJ"),
    _site("WH-GB-MAN1", "Trafford Park Road", "Manchester", None, "M17 1PG"),
)
