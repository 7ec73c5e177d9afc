"""The inventory app running in memory and the mesh around it, for the component tests.

The test plays the rest of the mesh on a broker of its own (``mesh``): it publishes what
orders, shipping, the warehouses and support would, and receives what inventory publishes and
what it parks on dead-letter topics. (A module of its own, uniquely named: test folders have no
``__init__.py``, so every service's ``conftest`` is a module called ``conftest``.)
"""

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    TOPICS,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_runtime.consumer import raw_body
from conveyor_testkit import from_example, wait_for
from inventory.app import InventoryDeps
from inventory.settings import InventorySettings

# The registry's word on what inventory reads and writes: the component tier is driven by it.
CONSUMED = tuple(spec for spec in TOPICS if "inventory" in spec.consumers)
PRODUCED = tuple(spec for spec in TOPICS if spec.producer == "inventory")
# Hosts that never resolve: if anything did try to connect, it could not reach the shared stack.
NOWHERE = "in-memory.invalid"
WAIT = 5.0  # seconds a test waits for a relay: it publishes within milliseconds
SKU = "TEE-BLK-M"  # the SKU of the contracts' examples
WAREHOUSE = "WH-US-NJ1"  # the US warehouse an order of the examples' market is served from first

E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True)
class Received:
    """One message as a consumer of the mesh received it."""

    topic: str
    key: str
    headers: dict[str, str]
    body: bytes


@dataclass
class InventoryComponent:
    """The running inventory app and the mesh around it."""

    settings: InventorySettings
    app: FastAPI
    deps: InventoryDeps
    mesh: KafkaBroker
    received: dict[str, asyncio.Queue[Received]] = field(default_factory=dict)
    published: list[Received] = field(default_factory=list)  # by inventory, in order

    async def publish(
        self,
        spec: TopicSpec[Any],
        event: BaseModel | bytes,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Publish on ``spec``'s topic as its producer does, keyed as the registry says unless
        ``key`` is given; inventory handles it before this returns (``TestKafkaBroker``
        delivers in the publisher's call)."""
        body = event if isinstance(event, bytes) else event.model_dump_json().encode()
        sent = {"content-type": "application/json"}
        if isinstance(event, BaseModel):
            sent["event-type"] = getattr(event, "event_type", type(event).__name__)
            key = key or str(getattr(event, spec.key))
        assert key is not None, "bytes that are no event need a key"
        await self.mesh.publish(
            body, topic=self.topic(spec), key=key.encode(), headers=sent | (headers or {})
        )

    async def next(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> Received:
        """The next message on ``spec``'s topic (or its dead-letter topic), waiting a little."""
        topic = self.topic(spec, dead_letter=dead_letter)
        return await asyncio.wait_for(self.received[topic].get(), timeout=WAIT)

    async def next_event(self, spec: TopicSpec[E]) -> E:
        """The next event inventory published on ``spec``, parsed with the topic's contract."""
        return spec.adapter.validate_json((await self.next(spec)).body)

    async def taken(self, spec: TopicSpec[E]) -> list[E]:
        """Every event inventory published on ``spec`` and no test took yet, once its relays
        have published all there is, parsed with the topic's contract."""
        await self.settled()
        queue = self.received[self.topic(spec)]
        return [spec.adapter.validate_json(queue.get_nowait().body) for _ in range(queue.qsize())]

    def waiting(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> int:
        """Messages received on the topic and not taken by ``next`` yet."""
        return self.received[self.topic(spec, dead_letter=dead_letter)].qsize()

    async def settled(self) -> None:
        """Wait until the relays have published every event inventory's writes left in an
        outbox: after it, what a test has not received was never emitted."""
        relays = (self.deps.reservations_relay, self.deps.stock_relay)

        async def drained() -> bool:
            return not any([await relay.store.documents_with_pending() for relay in relays])

        await wait_for(drained, within=WAIT, interval=0.001)

    def parsed(self, message: Received) -> Any:
        """A message inventory published, parsed with its topic's contract (which fails loudly
        on anything the contract does not allow)."""
        return self.spec_of(message).adapter.validate_json(message.body)

    def spec_of(self, message: Received) -> TopicSpec[Any]:
        return next(spec for spec in PRODUCED if self.topic(spec) == message.topic)

    def topic(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> str:
        return self.settings.topic(spec.dead_letter if dead_letter else spec.name)

    def consumed(self, spec: TopicSpec[Any], outcome: str) -> float:
        """``conveyor_messages_consumed_total`` of inventory for the topic and outcome."""
        value = self.deps.infra.metrics.registry.get_sample_value(
            "conveyor_messages_consumed_total",
            {"topic": self.topic(spec), "outcome": outcome},
        )
        return value or 0.0

    async def receive(self, units: int, *, sku: str = SKU, warehouse_id: str = WAREHOUSE) -> None:
        """Goods received at a warehouse, as it reports them."""
        await self.publish(WAREHOUSE_RECEIPTS, goods_received(units, sku=sku, at=warehouse_id))

    async def reserve(
        self, quantity: int = 2, *, sku: str = SKU
    ) -> tuple[OrderAccepted, StockReserved]:
        """An order accepted by orders with its units in stock, and the reservation inventory
        told of it (the stock events on the way are left for the test)."""
        await self.receive(quantity, sku=sku)
        order = accepted(new_order_id(), quantity, sku=sku)
        await self.publish(ORDER_LIFECYCLE, order)
        reserved = await self.next_event(INVENTORY_RESERVATIONS)
        assert isinstance(reserved, StockReserved)
        return order, reserved


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


def event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event of ``order_id``: its schema's example with fresh ids and time
    (an event keyed by SKU names no order: only its correlation id is the order's)."""
    if "order_id" in model.model_fields:
        fields = {"order_id": order_id} | fields
    return from_example(model, correlation_id=order_id, **fields)


def accepted(order_id: str, quantity: int, *, sku: str = SKU) -> OrderAccepted:
    """The order of the examples (US market), for ``quantity`` units of ``sku``."""
    line = {
        "sku": sku,
        "quantity": quantity,
        "unit_price": {"amount_minor": 1999, "currency": "USD"},
    }
    return event(OrderAccepted, order_id, lines=[line])


def goods_received(units: int, *, sku: str = SKU, at: str = WAREHOUSE) -> GoodsReceived:
    """A receipt of its own reference: applied once, whatever else was received."""
    reference = f"GRN-{uuid.uuid4().hex[:10].upper()}"
    return from_example(
        GoodsReceived, sku=sku, warehouse_id=at, quantity=units, receipt_ref=reference
    )


def observe(component: InventoryComponent) -> None:
    """Receive what inventory publishes and what it parks, as the mesh's consumers would."""
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


def assert_keeps_its_contract(component: InventoryComponent, message: Received) -> None:
    parsed = component.parsed(message)
    assert message.headers["event-type"] == parsed.event_type
    # The registry's key: one order's (or one SKU's) events in order on one partition.
    assert message.key == getattr(parsed, component.spec_of(message).key)
    assert parsed.producer == "inventory"
