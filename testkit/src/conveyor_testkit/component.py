"""The component tier's kit: one service booted whole, in memory, on FastStream's
``TestKafkaBroker``, with a broker of the test's own (the mesh) playing every other service.

What every service's component tier shares lives here: the guards that keep the tier off the
servers (``refuse_server_fixtures``, ``no_connections``, settings pointing ``NOWHERE``) and
``ComponentHarness``, which records what the service publishes, checks each message against
its topic's contract from the registry, receives the dead letters it parks, and waits for both.
A service's own conftest binds the guards and subclasses the harness with its app and deps.
"""

import asyncio
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import TOPICS
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.outbox import OutboxRelay
from conveyor_runtime.service import Infrastructure
from conveyor_runtime.settings import ServiceSettings
from conveyor_testkit.messages import from_example
from conveyor_testkit.waiting import wait_for

# Hosts that never resolve: if anything did try to connect, it could not reach the shared stack.
NOWHERE = "in-memory.invalid"
WAIT = 5.0  # seconds a test waits for a relay or a timer: both act within milliseconds
FROM_THE_MESH = "x-component-mesh"  # marks what the test published on the service's own topics
# Fixtures that reach real servers: a component test that asks for one is refused at setup.
SERVER_FIXTURES = frozenset(
    {"servers", "kafka", "kafka_login", "namespace", "create_topics", "secured_kafka"}
)

E = TypeVar("E", bound=BaseModel)


@pytest.hookimpl(tryfirst=True)
def refuse_server_fixtures(item: pytest.Item) -> None:
    """A ``pytest_runtest_setup`` for component conftests: it runs before any fixture is set
    up, so a server fixture never starts the stack there."""
    used = SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
    if used:
        pytest.fail(f"component tests run without servers; {item.name} asks for {sorted(used)}")


@pytest.fixture(autouse=True)
def no_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Refuse every name lookup and outgoing connection during the test, and remember those the
    test's own thread made (the app and its broker run there). Other threads are refused but not
    counted: a span exporter of an earlier real-server test in this process may still flush to
    its collector from its own thread, which says nothing of the component under test (whose
    spans go to an in-memory exporter)."""
    attempts: list[object] = []
    own = threading.get_ident()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == own:
            attempts.append(args)
        raise ConnectionRefusedError("component tests make no connections")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert not attempts, f"the component test tried to connect: {attempts}"


def settings_nowhere(jwks_path: Path) -> dict[str, Any]:
    """A service's settings for the tier: a topic prefix (so tests see it applied), servers
    nowhere, no trace export, and the test issuer's keys."""
    return {
        "topic_prefix": "component-",
        "kafka_bootstrap_servers": f"{NOWHERE}:9092",
        "mongo_url": f"mongodb://{NOWHERE}:27017/",
        "otlp_endpoint": None,
        "jwks_path": jwks_path,
    }


def new_order_id() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


def order_event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event of ``order_id``: its schema's example with fresh ids and time."""
    return from_example(model, order_id=order_id, correlation_id=order_id, **fields)


@dataclass(frozen=True)
class Received:
    """One message as a consumer of the mesh received it."""

    topic: str
    key: str
    headers: dict[str, str]
    body: bytes


class ServiceDeps(Protocol):
    """What a harness needs of a service's deps: the infrastructure they were built on."""

    @property
    def infra(self) -> Infrastructure: ...


@dataclass(kw_only=True)
class ComponentHarness:
    """A running service app and the mesh around it. A subclass names its ``service`` and
    narrows ``settings`` and ``deps`` to the service's own."""

    service: ClassVar[str]
    # Set for a service that reads its own topics back: the test's input there is marked and
    # left out of what the service is said to have published.
    marks_its_input: ClassVar[bool] = False

    settings: ServiceSettings
    app: FastAPI
    deps: ServiceDeps
    mesh: KafkaBroker = field(default_factory=lambda: KafkaBroker(f"{NOWHERE}:9092"))
    received: dict[str, asyncio.Queue[Received]] = field(default_factory=dict, init=False)
    published: list[Received] = field(default_factory=list, init=False)  # by it, in order

    @classmethod
    def produced(cls) -> tuple[TopicSpec[Any], ...]:
        """The registry's topics the service writes."""
        return tuple(spec for spec in TOPICS if spec.producer == cls.service)

    @classmethod
    def consumed_topics(cls) -> tuple[TopicSpec[Any], ...]:
        """The registry's topics the service reads."""
        return tuple(spec for spec in TOPICS if cls.service in spec.consumers)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The app started on ``TestKafkaBroker``; at the end, every message it published is
        checked against its topic's contract."""
        self.observe()
        broker = self.deps.infra.broker
        async with TestKafkaBroker(broker, self.mesh), self.app.router.lifespan_context(self.app):
            yield
        for message in self.published:
            self.assert_keeps_its_contract(message)

    @asynccontextmanager
    async def http_api(self) -> AsyncIterator[httpx.AsyncClient]:
        """The running app's HTTP API, over ASGI."""
        transport = httpx.ASGITransport(app=self.app)
        base_url = f"http://{self.service}"
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client

    async def publish(
        self,
        spec: TopicSpec[Any],
        event: BaseModel | bytes,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Publish on ``spec``'s topic as its producer does, keyed as the registry says unless
        ``key`` is given; the service handles it before this returns (``TestKafkaBroker``
        delivers in the publisher's call)."""
        body = event if isinstance(event, bytes) else event.model_dump_json().encode()
        sent = {"content-type": "application/json"}
        if self.marks_its_input:
            sent[FROM_THE_MESH] = "yes"
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
        """The next message the service published on ``spec``, parsed with its contract."""
        return spec.adapter.validate_json((await self.next(spec)).body)

    def waiting(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> int:
        """Messages received on the topic and not taken by ``next`` yet."""
        return self.received[self.topic(spec, dead_letter=dead_letter)].qsize()

    async def relayed(self, *relays: OutboxRelay) -> None:
        """Wait until the relays have published every message the service's writes left in an
        outbox: after it, what a test has not received was never emitted."""

        async def drained() -> bool:
            return not any([await relay.store.documents_with_pending() for relay in relays])

        await wait_for(drained, within=WAIT, interval=0.001)

    def parsed(self, message: Received) -> Any:
        """A message the service published, parsed with its topic's contract (which fails
        loudly on anything the contract does not allow)."""
        return self.spec_of(message).adapter.validate_json(message.body)

    def spec_of(self, message: Received) -> TopicSpec[Any]:
        return next(spec for spec in self.produced() if self.topic(spec) == message.topic)

    def topic(self, spec: TopicSpec[Any], *, dead_letter: bool = False) -> str:
        return self.settings.topic(spec.dead_letter if dead_letter else spec.name)

    def sample(self, name: str, **labels: str) -> float:
        """A sample of the service's metrics (0 when the series has none yet)."""
        value = self.deps.infra.metrics.registry.get_sample_value(name, labels)
        return value or 0.0

    def consumed(self, spec: TopicSpec[Any], outcome: str) -> float:
        """``conveyor_messages_consumed_total`` of the service for the topic and outcome."""
        topic = self.topic(spec)
        return self.sample("conveyor_messages_consumed_total", topic=topic, outcome=outcome)

    def observe(self) -> None:
        """Receive what the service publishes and what it parks, as the mesh's consumers
        would."""
        produced = [self.topic(spec) for spec in self.produced()]
        parked = [self.topic(spec, dead_letter=True) for spec in self.consumed_topics()]
        self.received = {topic: asyncio.Queue() for topic in [*produced, *parked]}

        @self.mesh.subscriber(
            *self.received,
            group_id="component-mesh",
            ack_policy=AckPolicy.ACK,
            auto_offset_reset="earliest",
            decoder=raw_body,
        )
        async def on_message(body: bytes, message: KafkaMessage) -> None:
            received = _received(message)
            if received.topic in produced:
                if FROM_THE_MESH in received.headers:
                    return  # the test's own input on the service's topics: nothing it published
                self.published.append(received)
            await self.received[received.topic].put(received)

    def assert_keeps_its_contract(self, message: Received) -> None:
        parsed = self.parsed(message)
        assert message.headers["event-type"] == parsed.event_type
        # The registry's key: one order's (or one SKU's) events in order on one partition.
        assert message.key == getattr(parsed, self.spec_of(message).key)
        assert parsed.producer == self.service


def _received(message: KafkaMessage) -> Received:
    record = message.raw_message
    assert not isinstance(record, tuple)
    return Received(
        topic=record.topic,
        key=(record.key or b"").decode(),
        headers={name: value.decode() for name, value in record.headers},
        body=record.value or b"",
    )
