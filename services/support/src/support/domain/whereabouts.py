"""Where is my order: the answer read off the order's timeline. Pure."""

from dataclasses import dataclass, replace

from support.domain.timeline import Entry, Timeline

# Order-level events and the status they leave the order in.
_ORDER_STATUS = {
    "OrderPlaced": "placed",
    "OrderAccepted": "accepted",
    "OrderRejected": "rejected",
    "StockBackordered": "backordered",
    "StockReserved": "preparing",
    "StockShortage": "out_of_stock",
    "OrderCancelled": "cancelled",
}
# Outbound parcel events and the parcel status they mean.
_PARCEL_STATUS = {
    "ShipmentBooked": "awaiting_pickup",
    "ShipmentRebooked": "awaiting_pickup",
    "ShipmentConfirmed": "awaiting_pickup",
    "ShipmentBookingFailed": "booking_failed",
    "ShipmentCancelled": "cancelled",
    "ShipmentRecallRequested": "recalled",
    "ShipmentDispatched": "shipped",
    "DeliveryAttemptFailed": "delivery_failed",
    "ShipmentDelivered": "delivered",
    "ShipmentReturnedToSender": "returning_to_sender",
    "ShipmentLost": "lost",
}
_FINAL_ORDER = {"rejected", "cancelled", "out_of_stock"}
# Parcels that never left, or never will: the answer talks about another one if there is one.
_NOT_MOVING = frozenset({"cancelled", "booking_failed"})
# A return's events name its shipment but carry no direction: that parcel goes back, not out.
_RETURN_LEG = frozenset({"ReturnPickupBooked", "ReturnPickedUp"})


@dataclass(frozen=True)
class Parcel:
    shipment_id: str
    status: str
    carrier_code: str | None = None
    tracking_number: str | None = None
    deliver_by: str | None = None
    delayed: bool = False


@dataclass(frozen=True)
class Whereabouts:
    order_id: str
    status: str
    carrier_code: str | None
    tracking_number: str | None
    deliver_by: str | None
    parcels: tuple[Parcel, ...]
    last_update: str | None

    def as_answer(self) -> dict[str, str | None]:
        """The short answer stored on a where-is-my-order case."""
        return {
            "status": self.status,
            "carrier_code": self.carrier_code,
            "tracking_number": self.tracking_number,
            "deliver_by": self.deliver_by,
        }


def where_is(timeline: Timeline) -> Whereabouts:
    order_status = _order_status(timeline.entries)
    parcels = _outbound_parcels(timeline.entries)
    current = _parcel_to_talk_about(parcels)
    status = order_status
    if current is not None and order_status not in _FINAL_ORDER:
        status = current.status
    last = timeline.entries[-1].occurred_at.isoformat() if timeline.entries else None
    return Whereabouts(
        order_id=timeline.order_id,
        status=status,
        carrier_code=current.carrier_code if current else None,
        tracking_number=current.tracking_number if current else None,
        deliver_by=current.deliver_by if current else None,
        parcels=parcels,
        last_update=last,
    )


def _order_status(entries: tuple[Entry, ...]) -> str:
    """The status the order's own latest order-level event left it in."""
    status = "unknown"
    for entry in entries:
        status = _ORDER_STATUS.get(entry.event_type, status)
    return status


def _outbound_parcels(entries: tuple[Entry, ...]) -> tuple[Parcel, ...]:
    """Every parcel sent to the buyer, in the order it first appeared, as its events left it."""
    parcels: dict[str, Parcel] = {}
    for entry in entries:
        shipment_id = _outbound_shipment(entry)
        if shipment_id is not None:
            parcel = parcels.get(shipment_id, Parcel(shipment_id, "awaiting_pickup"))
            parcels[shipment_id] = _parcel_after(parcel, entry)
    return tuple(parcels.values())


def _outbound_shipment(entry: Entry) -> str | None:
    """The shipment ``entry`` moves towards the buyer, if any (a return's pickup moves none)."""
    shipment_id = entry.facts.get("shipment_id")
    outbound = entry.facts.get("direction", "outbound") == "outbound"
    if not isinstance(shipment_id, str) or not outbound or entry.event_type in _RETURN_LEG:
        return None
    return shipment_id


def _parcel_to_talk_about(parcels: tuple[Parcel, ...]) -> Parcel | None:
    """The latest parcel still moving, else the latest one at all."""
    live = [parcel for parcel in parcels if parcel.status not in _NOT_MOVING]
    candidates = live or parcels
    return candidates[-1] if candidates else None


def _parcel_after(parcel: Parcel, entry: Entry) -> Parcel:
    facts = entry.facts
    status = _PARCEL_STATUS.get(entry.event_type, parcel.status)
    if entry.event_type == "ShipmentInTransit":
        status = str(facts.get("stage") or "in_transit")
    carrier = facts.get("carrier_code")
    tracking = facts.get("tracking_number")
    deliver_by = facts.get("deliver_by")
    changed = replace(parcel, status=status)
    if isinstance(carrier, str) and carrier != parcel.carrier_code:
        # Another carrier: the previous carrier's tracking number means nothing any more.
        changed = replace(changed, carrier_code=carrier, tracking_number=None)
    if isinstance(tracking, str):
        changed = replace(changed, tracking_number=tracking)
    if isinstance(deliver_by, str) and entry.event_type != "DeliverySlaBreached":
        changed = replace(changed, deliver_by=deliver_by)
    if entry.event_type in ("DeliverySlaBreached", "ShipmentDelayed"):
        changed = replace(changed, delayed=True)
    return changed
