"""An order's reservation: what was taken where, and how far it got."""

import enum
from dataclasses import dataclass

from inventory.domain.allocation import Allocation


class ReservationStatus(enum.Enum):
    # PENDING: allocations are being taken; a redelivery finds it and gives them back first.
    PENDING = "pending"
    RESERVED = "reserved"
    SHORT = "short"
    RELEASED = "released"


@dataclass(frozen=True)
class Reservation:
    order_id: str
    reservation_id: str
    status: ReservationStatus
    allocations: tuple[Allocation, ...] = ()
    committed: tuple[str, ...] = ()  # warehouse ids whose units left with the carrier
