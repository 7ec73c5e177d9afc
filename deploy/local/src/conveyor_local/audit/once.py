"""The at-most-once invariants: a booking confirmed once and by its carrier, a returned parcel
restocked once, an RMA refunded once (``one_confirmed_booking``, ``one_restock_and_refund``)."""

from collections import Counter

from conveyor_contracts.inventory import StockRestocked
from conveyor_contracts.shipping.booking import (
    ReturnPickupBooked,
    ShipmentBooked,
    ShipmentConfirmed,
    ShipmentRebooked,
)
from conveyor_contracts.shipping.erasure import ShippingPersonalDataErased
from conveyor_contracts.support import RefundRequested
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, SHIPPING_SHIPMENTS, SUPPORT_REFUNDS
from conveyor_local.audit.events import of_kind, topic_events
from conveyor_local.audit.read import Snapshot
from conveyor_local.audit.result import Invariant
from shipping.domain.shipment import ShipmentStatus

# A shipment in one of these is, or was, in a carrier's hands under a confirmed booking.
CARRIER_HOLDS = frozenset(
    {
        ShipmentStatus.CONFIRMED,
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERY_FAILED,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURNED_TO_SENDER,
        ShipmentStatus.LOST,
    }
)


def one_confirmed_booking(snapshot: Snapshot, invariant: Invariant) -> None:
    booked_with: dict[str, str] = {}  # shipment id -> carrier of its current booking
    confirmations: dict[str, list[ShipmentConfirmed]] = {}  # ...of its current booking
    for event in topic_events(snapshot, SHIPPING_SHIPMENTS):
        if isinstance(event, ShippingPersonalDataErased):
            continue  # about the order, not one of its shipments
        shipment_id = event.shipment_id
        if isinstance(event, ShipmentBooked | ShipmentRebooked | ReturnPickupBooked):
            booked_with[shipment_id] = event.carrier_code
            confirmations[shipment_id] = []
        elif isinstance(event, ShipmentConfirmed):
            carrier = booked_with.get(shipment_id)
            if carrier != event.carrier_code:
                invariant.fail(
                    event.order_id,
                    shipment_id,
                    reason=f"confirmed by {event.carrier_code}, booked with {carrier or 'nobody'}",
                )
                continue
            confirmations[shipment_id].append(event)
            if len(confirmations[shipment_id]) == 2:
                invariant.fail(
                    event.order_id, shipment_id, reason=f"booking with {carrier} confirmed twice"
                )
    for document in snapshot.collection("shipping", "fulfilments"):
        for shipment in document.get("shipments", []):
            invariant.checked += 1
            shipment_id, status = shipment["shipment_id"], ShipmentStatus(shipment["status"])
            if status not in CARRIER_HOLDS:
                continue
            confirmed = confirmations.get(shipment_id, [])
            ids = (document["_id"], shipment_id)
            if not confirmed:
                invariant.fail(*ids, reason=f"{status} without a confirmed booking")
                continue
            said = f"{confirmed[0].carrier_code} {confirmed[0].tracking_number}"
            kept = f"{shipment.get('carrier_code')} {shipment.get('tracking_number')}"
            if said != kept:
                invariant.fail(*ids, reason=f"confirmed {said}, shipping's database has {kept}")


def one_restock_and_refund(snapshot: Snapshot, invariant: Invariant) -> None:
    restocks = of_kind(topic_events(snapshot, INVENTORY_RESERVATIONS), StockRestocked)
    refunds = [
        r for r in of_kind(topic_events(snapshot, SUPPORT_REFUNDS), RefundRequested) if r.rma_id
    ]
    returned = Counter(event.shipment_id for event in restocks)
    refunded = Counter(event.rma_id for event in refunds)
    order_of = {e.shipment_id: e.order_id for e in restocks} | {
        e.rma_id: e.order_id for e in refunds
    }
    # Inventory marks a restocked parcel on the order's reservation: once, or it restocked twice.
    for document in snapshot.collection("inventory", "reservations"):
        for shipment_id, times in Counter(document.get("returned", [])).items():
            if times > 1:
                invariant.fail(
                    document.get("order_id", document["_id"]),
                    shipment_id,
                    reason=f"marked restocked {times} times on its reservation",
                )
    invariant.checked = len(returned) + len(refunded)
    for shipment_id, times in sorted(returned.items()):
        if times > 1:
            invariant.fail(order_of[shipment_id], shipment_id, reason=f"restocked {times} times")
    for rma_id, times in sorted(refunded.items()):
        if times > 1:
            invariant.fail(order_of[rma_id], rma_id, reason=f"{times} refund requests for one RMA")
