"""An order's shipments as shipping sees them: pure data and rules, no I/O.

One ``Fulfilment`` per order holds every shipment of that order (one per warehouse allocation),
so that every change to an order's parcels is a single-document update with its events.
"""

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal

from conveyor_contracts.address import Contact, PostalAddress
from conveyor_contracts.privacy import holds_personal_data
from conveyor_contracts.values import DeliveryWindow
from shipping.domain.catalogue import ServiceLevel

RESUME_BOOKING_AFTER = timedelta(seconds=30)


class ShipmentStatus(StrEnum):
    AWAITING_CARRIER = "awaiting_carrier"  # reserved stock, no carrier asked (yet, or any more)
    BOOKING_REQUESTED = "booking_requested"  # a carrier was asked, no answer yet
    CONFIRMED = "confirmed"  # the carrier accepted; waiting for pickup
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"
    CANCELLED = "cancelled"  # before pickup; the goods never left
    BOOKING_FAILED = "booking_failed"  # no carrier would take it

    @property
    def before_pickup(self) -> bool:
        return self in _BEFORE_PICKUP

    @property
    def in_flight(self) -> bool:
        """With a carrier, on its way, not yet at an end."""
        return self in _IN_FLIGHT

    @property
    def final(self) -> bool:
        return not (self.before_pickup or self.in_flight)


_BEFORE_PICKUP = {
    ShipmentStatus.AWAITING_CARRIER,
    ShipmentStatus.BOOKING_REQUESTED,
    ShipmentStatus.CONFIRMED,
}
_IN_FLIGHT = {
    ShipmentStatus.PICKED_UP,
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.DELIVERY_FAILED,
}


@dataclass(frozen=True)
class Scan:
    """One carrier scan, as reported; identical re-sends are the same scan."""

    status: str  # the carrier contract's CanonicalStatus
    scanned_at: datetime
    location_code: str

    @property
    def identity(self) -> tuple[str, datetime]:
        """What makes two reports the same scan, whatever their message ids: status and time,
        the time to the millisecond, because that is all the database keeps of a stored scan
        (a carrier's re-send still carries its clock's microseconds)."""
        at = self.scanned_at
        return self.status, at.replace(microsecond=at.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    seller_id: str | None = None  # whose goods; None from producers older than sellers


@dataclass(frozen=True)
class ReturnPickup:
    """What a return collection needs besides the lines: the buyer's side (personal data)."""

    rma_id: str
    collect_from: PostalAddress
    sender: Contact
    collect_by: datetime  # the authorisation's last day


@dataclass(frozen=True)
class BookingRequest:
    """One carrier asked to take the shipment, and when it declined (or did not answer in time),
    if it did: what the carrier's decline rate counts."""

    carrier_code: str
    asked_at: datetime
    declined_at: datetime | None = None


@dataclass(frozen=True)
class Shipment:
    """One parcel run: from one warehouse to the buyer, or (a return) from the buyer back to a
    warehouse; and everything shipping knows about it."""

    shipment_id: str
    reservation_id: str | None  # outbound only
    warehouse_id: str
    lines: tuple[Line, ...]
    returning: ReturnPickup | None = None
    status: ShipmentStatus = ShipmentStatus.AWAITING_CARRIER
    carrier_code: str | None = None
    carriers_tried: tuple[str, ...] = ()
    rebook_reason: str | None = None  # why the last carrier was let go
    cause: str | None = None  # event id that last put it in need of a carrier
    awaiting_since: datetime | None = None  # when it last came to need one
    tracking_number: str | None = None
    booked_at: datetime | None = None
    accept_by: datetime | None = None
    pickup_by: datetime | None = None
    deliver_by: datetime | None = None
    scans: tuple[Scan, ...] = ()
    recall_requested: bool = False
    sla_breached: bool = False
    silence_reported_at: datetime | None = None
    # Outbound only: the day (in the market) the parcel is now expected, and whether its
    # passing the promised window was told (once: a later forecast back inside does not undo it).
    forecast_delivery: date | None = None
    delay_told: bool = False
    # Every carrier asked, in order (none for a booking stored before they were kept).
    bookings: tuple[BookingRequest, ...] = ()

    @property
    def direction(self) -> Literal["outbound", "return"]:
        return "return" if self.returning else "outbound"

    @property
    def delivery_failures(self) -> int:
        return sum(1 for scan in self.scans if scan.status == "delivery_failed")

    @property
    def last_scan_at(self) -> datetime | None:
        return max((scan.scanned_at for scan in self.scans), default=None)

    def asked(self, carrier_code: str, at: datetime) -> "Shipment":
        """With ``carrier_code`` asked to take it at ``at``."""
        return replace(self, bookings=(*self.bookings, BookingRequest(carrier_code, at)))

    def declined(self, at: datetime) -> "Shipment":
        """With the request to the carrier holding it declined at ``at`` (once; a booking
        stored before requests were kept has none to mark)."""
        for index in range(len(self.bookings) - 1, -1, -1):
            request = self.bookings[index]
            if request.carrier_code != self.carrier_code:
                continue
            if request.declined_at is not None:
                return self
            marked = replace(request, declined_at=at)
            bookings = (*self.bookings[:index], marked, *self.bookings[index + 1 :])
            return replace(self, bookings=bookings)
        return self


@dataclass(frozen=True)
class OrderDetails:
    """What shipping keeps of an accepted order to book its parcels (personal data: never
    logged; it stays in shipping's database and the chosen carrier's topic)."""

    market: str
    currency: str
    service_level: ServiceLevel
    ship_to: PostalAddress
    recipient: Contact
    unit_prices: dict[str, int]
    accepted_at: datetime
    # The buyer's promise as orders set it at acceptance, never moved (None: an older producer).
    promised_delivery: DeliveryWindow | None = None
    dispatch_by: datetime | None = None


@dataclass(frozen=True)
class ErasureRequest:
    """A buyer's request to erase their data, waiting for the order to settle (see privacy)."""

    erasure_id: str
    event_id: str  # the request's event: what the confirmation's id derives from
    requested_at: datetime


@dataclass(frozen=True)
class Fulfilment:
    order_id: str
    correlation_id: str
    details: OrderDetails | None = None
    cancelled: bool = False
    shipments: tuple[Shipment, ...] = ()
    applied: tuple[str, ...] = field(default=())  # event ids already applied
    erasures: tuple[ErasureRequest, ...] = ()  # requests not yet confirmed
    erasure_requested: bool = False  # ever: personal data is then kept no longer than needed

    def shipment(self, shipment_id: str) -> Shipment | None:
        return next((s for s in self.shipments if s.shipment_id == shipment_id), None)

    def with_shipment(self, shipment: Shipment) -> "Fulfilment":
        shipments = tuple(
            shipment if s.shipment_id == shipment.shipment_id else s for s in self.shipments
        )
        if shipment.shipment_id not in {s.shipment_id for s in self.shipments}:
            shipments = (*shipments, shipment)
        return replace(self, shipments=shipments)

    def waiting_for_carrier(self) -> tuple[Shipment, ...]:
        """Shipments to book now: the order is known and not cancelled, and its address not
        erased (a reshipment asked after an erasure has nowhere to go)."""
        if self.details is None or self.cancelled or not holds_personal_data(self.details.ship_to):
            return ()
        return tuple(s for s in self.shipments if s.status is ShipmentStatus.AWAITING_CARRIER)


def shipment_id_for(reservation_id: str, warehouse_id: str) -> str:
    """The same allocation always becomes the same shipment, however often it is redelivered."""
    digest = hashlib.sha256(f"{reservation_id}/{warehouse_id}".encode()).hexdigest()
    return f"shp_{digest[:24]}"


def return_shipment_id_for(rma_id: str) -> str:
    digest = hashlib.sha256(f"return/{rma_id}".encode()).hexdigest()
    return f"shp_{digest[:24]}"


def promised_by(accepted_at: datetime, promise_days: int) -> datetime:
    """The end (UTC) of the day the buyer was promised delivery."""
    day = (accepted_at.astimezone(UTC) + timedelta(days=promise_days)).date()
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
