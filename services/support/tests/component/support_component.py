"""The support app running in memory and the mesh around it, for the component tests.

The test plays the rest of the mesh on a broker of its own (``mesh``): it publishes what the
checkout, orders, inventory, shipping and the warehouses would, and receives what support
publishes and what it parks on dead-letter topics. Support reads its own two topics back into
its timelines, so what the mesh itself publishes there is marked and left out of what support
is said to have published. (A module of its own, uniquely named: test folders have no
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

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.shipping import ShipmentDelivered
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import CHECKOUT_ORDERS, SHIPPING_SHIPMENTS, TOPICS
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import from_example, wait_for
from support.app import SupportDeps
from support.domain.timeline import Timeline
from support.settings import SupportSettings

# The registry's word on what support reads and writes: the component tier is driven by it.
CONSUMED = tuple(spec for spec in TOPICS if "support" in spec.consumers)
PRODUCED = tuple(spec for spec in TOPICS if spec.producer == "support")
# On support's cases topic for orders to read, but no support use case emits it (yet): a case
# of kind cancellation_request is settled by an agent, not turned into this event.
NEVER_EMITTED = frozenset({"CaseCancellationRequested"})
# Hosts that never resolve: if anything did try to connect, it could not reach the shared stack.
NOWHERE = "in-memory.invalid"
WAIT = 5.0  # seconds a test waits for the relay: it publishes within milliseconds
FROM_THE_MESH = "x-component-mesh"  # marks what the test published on support's own topics

E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True)
class Received:
    """One message as a consumer of the mesh received it."""

    topic: str
    key: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Callers:
    """Bearer headers of the roles support's integration tests use."""

    agent: dict[str, str]
    buyer: dict[str, str]  # the buyer of the test's order
    stranger: dict[str, str]  # another buyer
    operator: dict[str, str]  # a role support does not serve

    @classmethod
    def of(cls, issuer: Issuer, buyer_id: str) -> "Callers":
        return cls(
            agent=issuer.bearer("agent", "agt_1"),
            buyer=issuer.bearer("buyer", buyer_id),
            stranger=issuer.bearer("buyer", "byr_stranger01"),
            operator=issuer.bearer("operator", "opr_1"),
        )


@dataclass
class SupportComponent:
    """The running support app and the mesh around it."""

    settings: SupportSettings
    app: FastAPI
    deps: SupportDeps
    mesh: KafkaBroker
    received: dict[str, asyncio.Queue[Received]] = field(default_factory=dict)
    published: list[Received] = field(default_factory=list)  # by support, in order

    async def publish(
        self,
        spec: TopicSpec[Any],
        event: BaseModel | bytes,
        *,
        key: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Publish on ``spec``'s topic as its producer does; support handles it before this
        returns (``TestKafkaBroker`` delivers in the publisher's call)."""
        body = event if isinstance(event, bytes) else event.model_dump_json().encode()
        sent = {"content-type": "application/json", FROM_THE_MESH: "yes"}
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
        """The next event support published on ``spec``, parsed with the topic's contract."""
        return spec.adapter.validate_json((await self.next(spec)).body)

    def waiting(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> int:
        """Messages received on the topic and not taken by ``next`` yet."""
        return self.received[self.topic(spec, dead_letter=dead_letter)].qsize()

    async def settled(self) -> None:
        """Wait until the relay has published every event the cases' writes left in an outbox
        (and support has read its own back): after it, what a test has not received was never
        emitted."""

        async def drained() -> bool:
            return not await self.deps.relay.store.documents_with_pending()

        await wait_for(drained, within=WAIT, interval=0.001)

    def parsed(self, message: Received) -> Any:
        """A message support published, parsed with its topic's contract (which fails loudly
        on anything the contract does not allow)."""
        spec = next(spec for spec in PRODUCED if self.topic(spec) == message.topic)
        return spec.adapter.validate_json(message.body)

    def topic(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> str:
        return self.settings.topic(spec.dead_letter if dead_letter else spec.name)

    def consumed(self, spec: TopicSpec[Any], outcome: str) -> float:
        """``conveyor_messages_consumed_total`` of support for the topic and outcome."""
        value = self.deps.infra.metrics.registry.get_sample_value(
            "conveyor_messages_consumed_total",
            {"topic": self.topic(spec), "outcome": outcome},
        )
        return value or 0.0

    async def timeline_types(self, order_id: str) -> list[str]:
        """The event types on the order's timeline, in its causal order."""
        timeline: Timeline | None = await self.deps.timelines.get(order_id)
        return [entry.event_type for entry in timeline.entries] if timeline else []

    async def place(self, buyer_id: str = "byr_ada00001") -> OrderPlaced:
        """An order placed by the checkout (US, 2 x TEE-BLK-M at 1999), as support hears it."""
        order_id = new_order_id()
        placed = event(OrderPlaced, order_id, buyer_id=buyer_id)
        await self.publish(CHECKOUT_ORDERS, placed, key=order_id)
        return placed

    async def deliver(self, placed: OrderPlaced, *, days_ago: float = 2) -> None:
        """The order's parcel delivered to the buyer, inside every market's return window."""
        scanned = datetime.now(UTC) - timedelta(days=days_ago)
        delivered = event(
            ShipmentDelivered, placed.order_id, direction="outbound", scanned_at=scanned
        )
        await self.publish(SHIPPING_SHIPMENTS, delivered, key=placed.order_id)


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


def event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event of ``order_id``: its schema's example with fresh ids and time."""
    return from_example(model, order_id=order_id, correlation_id=order_id, **fields)


def observe(component: SupportComponent) -> None:
    """Receive what support publishes and what it parks, as the mesh's consumers would."""
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
            if FROM_THE_MESH in received.headers:
                return  # the test's own input on support's topics: nothing support published
            component.published.append(received)
        await component.received[received.topic].put(received)


def assert_keeps_its_contract(component: SupportComponent, message: Received) -> None:
    parsed = component.parsed(message)
    assert message.headers["event-type"] == parsed.event_type
    assert message.key == parsed.order_id  # the registry's key: one order's events in order
    assert parsed.producer == "support"
