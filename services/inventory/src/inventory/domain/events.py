"""What happens to stock and reservations, as the inventory domain says it: plain facts, no topic,
no envelope.

``adapters/wire.py`` tells which contract event each becomes; the runtime's ``Outlet`` adds the
envelope (ids derived from the cause, correlation, producer) and the topic.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

from inventory.domain.allocation import Allocation, Sellers
from inventory.domain.stock import StockMove

StockCause = Literal["goods_received", "counted", "reserved", "released", "committed", "restocked"]

Lines = tuple[tuple[str, int], ...]  # (sku, units), sorted by sku
ShortLines = tuple[tuple[str, int, int], ...]  # (sku, requested, available in the market)


@dataclass(frozen=True)
class Reserved:
    """Every line of the reservation is held, as ``allocations`` split it."""

    order_id: str
    reservation_id: str
    allocations: tuple[Allocation, ...]
    case_id: str | None = None  # a reshipment's
    # The cause is not the order's own event (a receipt, a return): it can fill several
    # backorders, so each order's reservation is told apart by the order.
    among_several: bool = False


@dataclass(frozen=True)
class Backordered:
    order_id: str
    short_lines: ShortLines
    expected_by: date


@dataclass(frozen=True)
class Shortage:
    order_id: str
    short_lines: ShortLines


@dataclass(frozen=True)
class Released:
    """A cancelled order's holds went back to available."""

    order_id: str
    reservation_id: str


@dataclass(frozen=True)
class Committed:
    """A parcel left its warehouse with these units."""

    order_id: str
    reservation_id: str
    shipment_id: str
    warehouse_id: str
    lines: Lines
    sellers: Sellers = ()  # whose goods the lines are, where known


@dataclass(frozen=True)
class Restocked:
    """An inspected returned parcel: units back on the shelf, the rest written off."""

    order_id: str
    shipment_id: str
    rma_id: str | None
    warehouse_id: str
    restocked: Lines
    written_off: Lines
    sellers: Sellers = ()  # whose goods the lines are, where known


ReservationEvent = Reserved | Backordered | Shortage | Released | Committed | Restocked


@dataclass(frozen=True)
class LevelChanged:
    """A (warehouse, sku) level after its move number ``sequence``, and why it moved."""

    warehouse_id: str
    sku: str
    sequence: int
    on_hand: int
    reserved: int
    available: int
    cause: StockCause
    seller_id: str | None = None  # whose stock it is, once a receipt said so


@dataclass(frozen=True)
class LowStock:
    """Available fell to or below the threshold at move number ``sequence``."""

    warehouse_id: str
    sku: str
    sequence: int
    available: int
    threshold: int


StockEvent = LevelChanged | LowStock

DiscrepancyKind = Literal["short", "over", "unexpected_sku", "late"]
InboundOutcome = Literal["complete", "short", "over", "mixed"]


@dataclass(frozen=True)
class InboundAnnounced:
    """A seller announced goods on their way to a warehouse (``lines``: sku, units)."""

    asn_id: str
    seller_id: str
    warehouse_id: str
    expected_arrival: date
    lines: Lines


@dataclass(frozen=True)
class InboundDiscrepancy:
    """What arrived against an ASN differs from its announcement (``sku`` None when late)."""

    asn_id: str
    seller_id: str
    warehouse_id: str
    kind: DiscrepancyKind
    sku: str | None
    expected: int | None
    received: int | None


@dataclass(frozen=True)
class InboundReconciled:
    """An ASN's reconciliation ended; ``lines``: (sku, expected, received)."""

    asn_id: str
    seller_id: str
    warehouse_id: str
    outcome: InboundOutcome
    lines: tuple[tuple[str, int, int], ...]


InboundEvent = InboundAnnounced | InboundDiscrepancy | InboundReconciled
InventoryEvent = ReservationEvent | StockEvent | InboundEvent


def stock_changes(move: StockMove, cause: StockCause, low_stock_threshold: int) -> list[StockEvent]:
    """What one applied move says: the new absolute level always, and a low-stock alert when
    available falls to or below the threshold from above it (not again while it stays low)."""
    after = move.after
    events: list[StockEvent] = [
        LevelChanged(
            move.warehouse_id,
            move.sku,
            move.sequence,
            after.on_hand,
            after.reserved,
            after.available,
            cause,
            move.seller_id,
        )
    ]
    if after.available <= low_stock_threshold < move.before.available:
        events.append(
            LowStock(
                move.warehouse_id, move.sku, move.sequence, after.available, low_stock_threshold
            )
        )
    return events
