"""The shipping app running in memory and the mesh around it, for the component tests.

The test plays the rest of the mesh on a broker of its own (``mesh``): it publishes what the
checkout, orders, inventory, support and the carriers would, and receives what shipping
publishes (shipment events, and commands on each carrier's requests topic) and what it parks
on dead-letter topics. (A module of its own, uniquely named: test folders have no
``__init__.py``, so every service's ``conftest`` is a module called ``conftest``.)
"""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
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
    TOPICS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_runtime.consumer import raw_body
from conveyor_testkit import from_example, wait_for
from shipping.app import ShippingDeps
from shipping.settings import ShippingSettings

# The registry's word on what shipping reads and writes: the component tier is driven by it.
CONSUMED = tuple(spec for spec in TOPICS if "shipping" in spec.consumers)
PRODUCED = tuple(spec for spec in TOPICS if spec.producer == "shipping")
# Hosts that never resolve: if anything did try to connect, it could not reach the shared stack.
NOWHERE = "in-memory.invalid"
WAIT = 5.0  # seconds a test waits for the relay or the timer: both act within milliseconds
# Delivered from New Jersey, served by two carriers: libertyparcel (the cheaper), then swiftpost.
NEW_YORK = {
    "address_lines": ["350 Fifth Avenue"],
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
    "country": "US",
}

E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True)
class Received:
    """One message as a consumer of the mesh received it."""

    topic: str
    key: str
    headers: dict[str, str]
    body: bytes


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


@dataclass
class ShippingComponent:
    """The running shipping app and the mesh around it."""

    settings: ShippingSettings
    app: FastAPI
    deps: ShippingDeps
    mesh: KafkaBroker
    received: dict[str, asyncio.Queue[Received]] = field(default_factory=dict)
    published: list[Received] = field(default_factory=list)  # by shipping, in order

    async def publish(
        self,
        spec: TopicSpec[Any],
        event: BaseModel | bytes,
        *,
        key: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Publish on ``spec``'s topic as its producer does; shipping handles it before this
        returns (``TestKafkaBroker`` delivers in the publisher's call)."""
        body = event if isinstance(event, bytes) else event.model_dump_json().encode()
        sent = {"content-type": "application/json"}
        if isinstance(event, BaseModel):
            sent["event-type"] = getattr(event, "event_type", type(event).__name__)
        await self.mesh.publish(
            body, topic=self.topic(spec), key=key.encode(), headers=sent | (headers or {})
        )

    async def next(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> Received:
        """The next message on ``spec``'s topic (or its dead-letter topic), waiting a little."""
        topic = self.topic(spec, dead_letter=dead_letter)
        return await asyncio.wait_for(self.received[topic].get(), timeout=WAIT)

    async def next_event(self, spec: TopicSpec[E]) -> E:
        """The next message shipping published on ``spec``, parsed with the topic's contract."""
        return spec.adapter.validate_json((await self.next(spec)).body)

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

    def waiting(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> int:
        """Messages received on the topic and not taken by ``next`` yet."""
        return self.received[self.topic(spec, dead_letter=dead_letter)].qsize()

    def nothing_more(self) -> bool:
        """Whether every message shipping published was taken by ``next``."""
        return all(self.waiting(spec) == 0 for spec in PRODUCED)

    async def settled(self) -> None:
        """Wait until the relay has published every message shipping's writes left in an
        outbox: after it, what a test has not received was never emitted."""

        async def drained() -> bool:
            return not await self.deps.relay.store.documents_with_pending()

        await wait_for(drained, within=WAIT, interval=0.001)

    def parsed(self, message: Received) -> Any:
        """A message shipping published, parsed with its topic's contract (which fails loudly
        on anything the contract does not allow)."""
        spec = next(spec for spec in PRODUCED if self.topic(spec) == message.topic)
        return spec.adapter.validate_json(message.body)

    def topic(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> str:
        return self.settings.topic(spec.dead_letter if dead_letter else spec.name)

    def sample(self, name: str, **labels: str) -> float:
        """A sample of shipping's metrics (0 when the series has none yet)."""
        value = self.deps.infra.metrics.registry.get_sample_value(name, labels)
        return value or 0.0

    def consumed(self, spec: TopicSpec[Any], outcome: str) -> float:
        """``conveyor_messages_consumed_total`` of shipping for the topic and outcome."""
        topic = self.topic(spec)
        return self.sample("conveyor_messages_consumed_total", topic=topic, outcome=outcome)

    async def book(
        self, order_id: str | None = None, *, ship_to: dict[str, Any] | None = None
    ) -> Booking:
        """An order accepted by orders and reserved by inventory in New Jersey: shipping asks
        a carrier to collect it (both of its messages taken). Shipped to San Francisco, which
        only swiftpost serves from there, unless ``ship_to`` says otherwise."""
        order_id = order_id or new_order_id()
        accepted = event(OrderAccepted, order_id, **({"ship_to": ship_to} if ship_to else {}))
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


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


def event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event of ``order_id``: its schema's example with fresh ids and time."""
    return from_example(model, order_id=order_id, correlation_id=order_id, **fields)


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


def observe(component: ShippingComponent) -> None:
    """Receive what shipping publishes and what it parks, as the mesh's consumers would."""
    produced = [component.topic(spec) for spec in PRODUCED]
    topics = [*produced, *(component.topic(spec, dead_letter=True) for spec in CONSUMED)]
    component.received = {topic: asyncio.Queue() for topic in topics}

    @component.mesh.subscriber(
        *topics,
        group_id="component-mesh",
        ack_policy=AckPolicy.ACK,
        auto_offset_reset="earliest",
        decoder=raw_body,
    )
    async def on_message(body: bytes, message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple)
        received = Received(
            topic=record.topic,
            key=(record.key or b"").decode(),
            headers={name: value.decode() for name, value in record.headers},
            body=record.value or b"",
        )
        if received.topic in produced:
            component.published.append(received)
        await component.received[received.topic].put(received)


def assert_keeps_its_contract(component: ShippingComponent, message: Received) -> None:
    parsed = component.parsed(message)
    assert message.headers["event-type"] == parsed.event_type
    assert message.key == parsed.order_id  # the registry's key: one order's messages in order
    assert parsed.producer == "shipping"
