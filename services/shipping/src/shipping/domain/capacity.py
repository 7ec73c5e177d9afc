"""Carriers' daily pickup slots: which one a booking holds, and when it no longer needs it.

A booking takes one of the carrier's pickups for the day it was asked (``booked_at``). A carrier
that declines, does not answer or does not come, and a booking cancelled before pickup, leave
that pickup unused: the slot goes back, so the carrier is not refused work it could take.
"""

from dataclasses import dataclass
from datetime import date

from shipping.domain.shipment import Fulfilment, Shipment, ShipmentStatus

_HOLDING = frozenset({ShipmentStatus.BOOKING_REQUESTED, ShipmentStatus.CONFIRMED})
_LET_GO = frozenset(
    {ShipmentStatus.AWAITING_CARRIER, ShipmentStatus.CANCELLED, ShipmentStatus.BOOKING_FAILED}
)


@dataclass(frozen=True)
class CarrierSlot:
    carrier_code: str
    day: date
    shipment_id: str


def slot_of(shipment: Shipment) -> CarrierSlot | None:
    """The slot the shipment's current booking holds, if it holds one."""
    if shipment.status not in _HOLDING or not shipment.carrier_code or not shipment.booked_at:
        return None
    return CarrierSlot(shipment.carrier_code, shipment.booked_at.date(), shipment.shipment_id)


def slots_let_go(before: Fulfilment, after: Fulfilment) -> list[CarrierSlot]:
    """The slots the bookings of ``before`` held that ``after`` has let go of."""
    freed = []
    for shipment in before.shipments:
        slot = slot_of(shipment)
        now = after.shipment(shipment.shipment_id)
        if slot is not None and now is not None and now.status in _LET_GO:
            freed.append(slot)
    return freed
