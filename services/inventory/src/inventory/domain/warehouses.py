"""The warehouse network: which warehouses serve which market, and in what order of preference."""

from dataclasses import dataclass
from typing import Literal

MarketCode = Literal["US", "CA", "GB"]


@dataclass(frozen=True)
class Warehouse:
    """A warehouse ships only within its market; a lower priority number is tried first."""

    warehouse_id: str
    market: MarketCode
    priority: int


# Defaults for local runs and tests; settings may override them (INVENTORY_WAREHOUSES as JSON).
DEFAULT_WAREHOUSES: tuple[Warehouse, ...] = (
    Warehouse("WH-US-NJ1", "US", 1),
    Warehouse("WH-US-CA1", "US", 2),
    Warehouse("WH-US-TX1", "US", 3),
    Warehouse("WH-CA-ON1", "CA", 1),
    Warehouse("WH-CA-BC1", "CA", 2),
    Warehouse("WH-GB-LON1", "GB", 1),
    Warehouse("WH-GB-MAN1", "GB", 2),
)


def serving(market: str, warehouses: tuple[Warehouse, ...]) -> tuple[Warehouse, ...]:
    """The warehouses of one market, most preferred first (id breaks ties so order is stable)."""
    return tuple(
        sorted(
            (w for w in warehouses if w.market == market),
            key=lambda w: (w.priority, w.warehouse_id),
        )
    )
