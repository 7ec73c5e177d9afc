"""An order's reservation: what was taken where, and how far it got."""

import enum
from dataclasses import dataclass
from datetime import datetime

from inventory.domain.allocation import Allocation


class ReservationStatus(enum.Enum):
    # PENDING: allocations are being taken; a redelivery of the event that claimed it (``claim``)
    # finds it and gives them back first.
    PENDING = "pending"
    RESERVED = "reserved"
    SHORT = "short"
    RELEASED = "released"
    # BACKORDERED: nothing held; waiting for receipts to cover the whole order until its deadline.
    BACKORDERED = "backordered"
    # DROPPED: the order was cancelled while backordered; nothing was held, nothing is reserved.
    DROPPED = "dropped"


@dataclass(frozen=True)
class Backorder:
    """What a backordered order waits for, and until when."""

    lines: tuple[tuple[str, int], ...]  # (sku, units), sorted by sku
    market: str
    since: datetime
    deadline: datetime
    cause: str  # event id of the OrderAccepted: the expiry's StockShortage id derives from it
    correlation_id: str
    short_lines: tuple[tuple[str, int, int], ...]  # (sku, requested, available) when backordered

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(sku for sku, _ in self.lines)


@dataclass(frozen=True)
class Reservation:
    order_id: str
    reservation_id: str
    status: ReservationStatus
    allocations: tuple[Allocation, ...] = ()
    committed: tuple[str, ...] = ()  # warehouse ids whose units left with the carrier
    backorder: Backorder | None = None
    claim: str | None = None  # event id of the attempt that set PENDING

    @property
    def due_at(self) -> datetime | None:
        """When the timer must look at it: a backorder's deadline, and only while it waits."""
        if self.status is ReservationStatus.BACKORDERED and self.backorder is not None:
            return self.backorder.deadline
        return None

    @property
    def waiting_skus(self) -> tuple[str, ...]:
        """The SKUs whose receipts may fill it: set while backordered or being filled."""
        waiting = (ReservationStatus.BACKORDERED, ReservationStatus.PENDING)
        if self.backorder is None or self.status not in waiting:
            return ()
        return self.backorder.skus
