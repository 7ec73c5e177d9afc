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
    order_status = "unknown"
    parcels: dict[str, Parcel] = {}
    for entry in timeline.entries:
        order_status = _ORDER_STATUS.get(entry.event_type, order_status)
        shipment_id = entry.facts.get("shipment_id")
        if isinstance(shipment_id, str) and entry.facts.get("direction", "outbound") == "outbound":
            if entry.event_type in ("ReturnPickupBooked", "ReturnPickedUp"):
                continue
            parcels[shipment_id] = _parcel_after(
                parcels.get(shipment_id, Parcel(shipment_id, "awaiting_pickup")), entry
            )
    outbound = list(parcels.values())
    # The parcel to talk about: the latest one still moving, else the latest one at all.
    live = [p for p in outbound if p.status not in ("cancelled", "booking_failed")]
    candidates = live or outbound
    current = candidates[-1] if candidates else None
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
        parcels=tuple(outbound),
        last_update=last,
    )


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
    if entry.event_type == "DeliverySlaBreached":
        changed = replace(changed, delayed=True)
    return changed
