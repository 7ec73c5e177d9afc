"""The shipping app running in memory and the mesh around it, for the component tests.

The test plays the rest of the mesh on a broker of its own (``mesh``): it publishes what the
checkout, orders, inventory, support and the carriers would, and receives what shipping
publishes (shipment events, and commands on each carrier's requests topic) and what it parks
on dead-letter topics. (A module of its own, uniquely named: test folders have no
``__init__.py``, so every service's ``conftest`` is a module called ``conftest``.)
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel

from conveyor_contracts.carriers.requests import BookShipment, CarrierRequest
from conveyor_contracts.carriers.tracking import ShipmentAccepted, TrackingScanRecorded
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping import ShipmentBooked, ShipmentEvent
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_testkit.component import ComponentHarness, new_order_id
from conveyor_testkit.component import Received as Received
from conveyor_testkit.component import order_event as event
from shipping.app import ShippingDeps
from shipping.settings import ShippingSettings

# Delivered from New Jersey, served by two carriers: libertyparcel (the cheaper), then swiftpost.
NEW_YORK = {
    "address_lines": ["350 Fifth Avenue"],
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
    "country": "US",
}


@dataclass(frozen=True)
class Booking:
    """A shipment a carrier was asked to collect: the command it was sent, and the event that
    told the mesh (``ShipmentBooked``, or ``ReturnPickupBooked`` for a return)."""

    request: CarrierRequest
    told: Any

    @property
    def carrier(self) -> str:
        code: str = self.told.carrier_code
        return code

    @property
    def order_id(self) -> str:
        return self.request.order_id

    @property
    def shipment_id(self) -> str:
        return self.request.shipment_id


@dataclass(kw_only=True)
class ShippingComponent(ComponentHarness):
    """The running shipping app and the mesh around it."""

    service: ClassVar[str] = "shipping"
    settings: ShippingSettings
    deps: ShippingDeps

    async def next_shipment_event(self) -> ShipmentEvent:
        return await self.next_event(SHIPPING_SHIPMENTS)

    async def next_of(self, spec: TopicSpec[Any], event_type: str) -> Any:
        """The next message of ``event_type`` shipping published on ``spec``, the ones before
        it taken and passed over."""
        while (parsed := await self.next_event(spec)).event_type != event_type:
            pass
        return parsed

    async def next_request(self, carrier: str) -> CarrierRequest:
        """The next command shipping sent the carrier on its own requests topic."""
        return await self.next_event(carrier_requests_topic(carrier))

    def nothing_more(self) -> bool:
        """Whether every message shipping published was taken by ``next``."""
        return all(self.waiting(spec) == 0 for spec in self.produced())

    async def settled(self) -> None:
        """Wait until the relay has published every message shipping's writes left in an
        outbox: after it, what a test has not received was never emitted."""
        await self.relayed(self.deps.relay)

    async def book(
        self,
        order_id: str | None = None,
        *,
        ship_to: dict[str, Any] | None = None,
        promise: dict[str, str] | None = None,
    ) -> Booking:
        """An order accepted by orders and reserved by inventory in New Jersey: shipping asks
        a carrier to collect it (both of its messages taken). Shipped to San Francisco, which
        only swiftpost serves from there, unless ``ship_to`` says otherwise; promised no
        delivery window (as from an older producer) unless ``promise`` says one."""
        order_id = order_id or new_order_id()
        fields: dict[str, Any] = {"promised_delivery": promise}
        accepted = event(
            OrderAccepted, order_id, **fields, **({"ship_to": ship_to} if ship_to else {})
        )
        await self.publish(ORDER_LIFECYCLE, accepted, key=order_id)
        await self.publish(INVENTORY_RESERVATIONS, reservation(order_id), key=order_id)
        booked = await self.next_shipment_event()
        assert isinstance(booked, ShipmentBooked)
        request = await self.next_request(booked.carrier_code)
        assert isinstance(request, BookShipment)
        return Booking(request, booked)

    async def report(self, booking: Booking, fact: BaseModel, carrier: str | None = None) -> None:
        """``carrier`` (the booked one by default) reports ``fact`` on its tracking topic."""
        topic = carrier_tracking_topic(carrier or booking.carrier)
        await self.publish(topic, fact, key=booking.order_id)

    async def confirmed(self, booking: Booking) -> None:
        """The carrier accepts the booking, and shipping tells the mesh (the event taken)."""
        await self.report(booking, accepts(booking))
        assert (await self.next_shipment_event()).event_type == "ShipmentConfirmed"


def reservation(order_id: str) -> StockReserved:
    """Inventory's reservation of the order, in New Jersey (a fresh reservation id)."""
    return event(
        StockReserved, order_id, case_id=None, reservation_id=f"rsv_{uuid.uuid4().hex[:12]}"
    )


def accepts(booking: Booking) -> ShipmentAccepted:
    return event(ShipmentAccepted, booking.order_id, shipment_id=booking.shipment_id)


def scan(booking: Booking, status: str, *, hours: float = 0.0) -> TrackingScanRecorded:
    """The carrier's scan of the parcel, ``hours`` from now (a fresh event id each time)."""
    return event(
        TrackingScanRecorded,
        booking.order_id,
        shipment_id=booking.shipment_id,
        status=status,
        scanned_at=(datetime.now(UTC) + timedelta(hours=hours)).isoformat(),
        remark=None,
    )


# The registry's word on what shipping reads and writes: the component tier is driven by it.
CONSUMED = ShippingComponent.consumed_topics()
PRODUCED = ShippingComponent.produced()
