"""What every inventory use case works with: the stores, the policy and a clock."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.envelope import Envelope
from conveyor_runtime.outlet import Cause
from inventory.domain.events import StockCause
from inventory.domain.warehouses import DEFAULT_WAREHOUSES, Warehouse
from inventory.ports import InboundRepository, ReservationRepository, StockEmit, StockStore

UnfillablePolicy = Literal["shortage", "backorder"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    warehouses: tuple[Warehouse, ...] = DEFAULT_WAREHOUSES
    # What to do with an order its market cannot fill: report it short at once, or wait for
    # receipts up to ``backorder_max_wait`` and report it short only then.
    unfillable: UnfillablePolicy = "backorder"
    backorder_max_wait: timedelta = timedelta(days=3)
    low_stock_threshold: int = 5
    # The warehouses' markets' business days, and how many of them after an inbound shipment's
    # expected arrival its reconciliation waits for the rest before it ends.
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    inbound_grace_business_days: int = 2


@dataclass(frozen=True)
class Inventory:
    stock: StockStore
    reservations: ReservationRepository
    policy: Policy = field(default_factory=Policy)
    clock: Callable[[], datetime] = utc_now
    # Sellers' inbound shipments; None where a test needs none (receipts then move stock only).
    inbound: InboundRepository | None = None

    def cause(self, event: Envelope) -> Cause:
        """``event`` as the cause of a change, handled now by this clock."""
        return Cause.of(event, self.clock())

    def stock_events(self, cause: Envelope, kind: StockCause) -> StockEmit:
        """What the stock moves ``cause`` makes, of this kind, emit."""
        return StockEmit(self.cause(cause), kind, self.policy.low_stock_threshold)
