"""The order's trace, remembered by its documents on the real database: a timer firing is a span
in it, a handler in another trace links to it, an event written with no span continues it, what
an HTTP request changes is done in it; and what the Kafka spans read from a message body."""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Tracer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.documents import OutboxDocuments
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import (
    MongoOutboxStore,
    OutboxMessage,
    OutboxRelay,
    outbox_message,
)
from conveyor_runtime.service import build_api
from conveyor_runtime.settings import ServiceSettings
from conveyor_runtime.timers import DUE_FIELD, TimerPoller
from conveyor_runtime.tokens import Issuer
from conveyor_runtime.tracing import LINK_REASON, ORDER_ID, envelope_attributes, trace_id_of
from conveyor_testkit import Servers


class Reminded(Envelope):
    order_id: str


@dataclass
class Setup:
    collection: AsyncCollection[dict[str, Any]]
    documents: OutboxDocuments[dict[str, Any]]
    provider: TracerProvider
    tracer: Tracer
    spans: InMemorySpanExporter

    def finished(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans.get_finished_spans() if span.name == name]


def _same(value: dict[str, Any]) -> dict[str, Any]:
    return value


async def _no_publish(_: OutboxMessage) -> None:
    pass  # the relay is never run here; the outbox entries are read from the documents


@pytest.fixture
async def setup(servers: Servers, namespace: str) -> AsyncIterator[Setup]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url, tz_aware=True)
    collection = mongo[f"{namespace}tracing"]["reminders"]
    locks = KeyedLock()
    relay = OutboxRelay(MongoOutboxStore(collection), _no_publish, locks)
    documents = OutboxDocuments(collection, locks, relay, encode=_same, decode=_same)
    try:
        yield Setup(collection, documents, provider, provider.get_tracer("test"), spans)
    finally:
        await mongo.drop_database(f"{namespace}tracing")
        await mongo.close()


def _reminder(order_id: str) -> OutboxMessage:
    event = Reminded(
        event_id=uuid.uuid4(),
        event_type="Reminded",
        occurred_at=datetime.now(UTC),
        correlation_id=order_id,
        producer="test",
        order_id=order_id,
    )
    return outbox_message(event, topic="reminders", key=order_id)


def _remind(value: dict[str, Any]) -> tuple[dict[str, Any], list[OutboxMessage]]:
    return value | {DUE_FIELD: None}, [_reminder(value["_id"])]


async def _outbox(setup: Setup, key: str) -> list[OutboxMessage]:
    return await setup.documents.relay.store.pending(key)


def _trace_id(span: ReadableSpan) -> str:
    return f"{span.context.trace_id:032x}"


async def _created_in_a_trace(setup: Setup, order_id: str, due_at: datetime | None) -> str:
    with setup.tracer.start_as_current_span("order placed") as span:
        await setup.documents.insert({"_id": order_id, DUE_FIELD: due_at}, [])
    return f"{span.get_span_context().trace_id:032x}"


async def test_a_timer_firing_is_a_span_in_the_orders_trace_and_its_events_continue_it(
    setup: Setup,
) -> None:
    order_trace = await _created_in_a_trace(setup, "ord_1", datetime.now(UTC) - timedelta(1))

    async def fire(key: Any, _: datetime) -> None:
        await setup.documents.update(str(key), _remind)

    poller = TimerPoller(setup.collection, fire, tracer_provider=setup.provider)
    assert await poller.sweep() == 1  # the deadline and the order's trace, from the database
    assert await poller.fire_due() == 1

    (placed,) = setup.finished("order placed")
    (firing,) = setup.finished("reminders timer fire")
    assert firing.parent is not None
    assert firing.parent.span_id == placed.context.span_id
    assert _trace_id(firing) == order_trace
    assert firing.attributes is not None
    assert firing.attributes[ORDER_ID] == "ord_1"
    (event,) = await _outbox(setup, "ord_1")
    assert event.trace["traceparent"].split("-")[2] == f"{firing.context.span_id:016x}"


async def test_a_handler_in_another_trace_links_to_the_orders_and_keeps_its_own(
    setup: Setup,
) -> None:
    order_trace = await _created_in_a_trace(setup, "ord_2", None)

    with setup.tracer.start_as_current_span("untraced scan") as span:
        await setup.documents.update("ord_2", _remind)

    (scan,) = setup.finished("untraced scan")
    assert [f"{link.context.trace_id:032x}" for link in scan.links] == [order_trace]
    assert scan.links[0].attributes == {LINK_REASON: "order_trace"}
    (event,) = await _outbox(setup, "ord_2")
    assert trace_id_of(event.trace) == f"{span.get_span_context().trace_id:032x}" != order_trace


async def test_a_document_of_no_one_order_remembers_no_trace_to_link_to(setup: Setup) -> None:
    stock = OutboxDocuments(
        setup.collection,
        setup.documents.locks,
        setup.documents.relay,
        encode=_same,
        decode=_same,
        order_keyed=False,
    )
    with setup.tracer.start_as_current_span("goods received"):
        await stock.insert({"_id": "SKU-1", DUE_FIELD: None}, [])

    with setup.tracer.start_as_current_span("reserved for an order"):
        await stock.update("SKU-1", _remind)

    (reserved,) = setup.finished("reserved for an order")
    assert not reserved.links


async def test_an_event_written_with_no_span_continues_the_orders_trace(setup: Setup) -> None:
    order_trace = await _created_in_a_trace(setup, "ord_3", None)

    await setup.documents.update("ord_3", _remind)  # an HTTP call: nothing traced it

    (event,) = await _outbox(setup, "ord_3")
    assert trace_id_of(event.trace) == order_trace
    assert await setup.documents.get("ord_3") == {"_id": "ord_3", DUE_FIELD: None}


def test_spans_read_only_the_event_id_and_order_id_of_a_message() -> None:
    body = {
        "event_id": "7d1f0c1e-0000-4000-8000-000000000001",
        "order_id": "ord_9",
        "recipient": {"name": "Ada Lovelace", "phone": "+15550100"},
    }
    expected = {"messaging.message.id": body["event_id"], ORDER_ID: "ord_9"}
    assert envelope_attributes(json.dumps(body).encode()) == expected
    assert envelope_attributes(body) == expected  # what the simulators hand FastStream
    assert envelope_attributes({"event_id": "e", "sku": "SKU-1"}) == {"messaging.message.id": "e"}
    assert envelope_attributes(b"\xff not json") == {}
    assert envelope_attributes(b"[1, 2]") == {}


def _served(setup: Setup, router: APIRouter, tmp_path: Path) -> httpx.AsyncClient:
    """``router`` on an app built as the services build theirs, traced on ``setup``'s provider."""
    settings = ServiceSettings(
        service_name="test", mongo_database="test", jwks_path=Issuer.at(tmp_path).jwks_path
    )
    app = build_api(settings, [router], tracer_provider=setup.provider)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_change_an_http_request_makes_is_a_span_in_the_orders_trace_linked_to_it(
    setup: Setup, tmp_path: Path
) -> None:
    order_trace = await _created_in_a_trace(setup, "ord_4", None)
    router = APIRouter()

    @router.post("/reminders/{order_id}")
    async def remind(order_id: str) -> None:
        await setup.documents.update(order_id, _remind)

    async with _served(setup, router, tmp_path) as client:
        assert (await client.post("/reminders/ord_4")).status_code == 200

    (placed,) = setup.finished("order placed")
    action, request = sorted(
        setup.finished("POST /reminders/{order_id}"), key=lambda s: s.kind.value
    )
    assert (action.kind, request.kind) == (SpanKind.INTERNAL, SpanKind.SERVER)
    assert _trace_id(action) == order_trace != _trace_id(request)
    assert action.parent is not None
    assert action.parent.span_id == placed.context.span_id
    assert [link.context.span_id for link in action.links] == [request.context.span_id]
    assert [link.context.span_id for link in request.links] == [action.context.span_id]
    (event,) = await _outbox(setup, "ord_4")  # published as the action's child
    assert event.trace["traceparent"].split("-")[2] == f"{action.context.span_id:016x}"


async def test_a_document_a_request_creates_remembers_the_trace_of_the_orders_document_it_read(
    setup: Setup, tmp_path: Path
) -> None:
    order_trace = await _created_in_a_trace(setup, "ord_5", None)
    notes = OutboxDocuments(
        setup.collection.database["notes"],
        setup.documents.locks,
        setup.documents.relay,
        encode=_same,
        decode=_same,
    )
    router = APIRouter()

    @router.post("/orders/{order_id}/notes")
    async def note(order_id: str) -> None:
        assert await setup.documents.get(order_id) is not None  # who may note it, say
        await notes.upsert(order_id, _remind, {"_id": order_id})

    async with _served(setup, router, tmp_path) as client:
        assert (await client.post("/orders/ord_5/notes")).status_code == 200

    action, request = sorted(
        setup.finished("POST /orders/{order_id}/notes"), key=lambda s: s.kind.value
    )
    assert _trace_id(action) == order_trace != _trace_id(request)
    stored = await setup.collection.database["notes"].find_one({"_id": "ord_5"})
    assert stored is not None
    assert trace_id_of(stored["trace_context"]) == order_trace
    (event,) = [OutboxMessage.model_validate(entry) for entry in stored["outbox"]]
    assert event.trace["traceparent"].split("-")[2] == f"{action.context.span_id:016x}"


async def test_a_document_a_request_creates_without_an_order_to_follow_remembers_no_trace(
    setup: Setup, tmp_path: Path
) -> None:
    router = APIRouter()

    @router.post("/orders/{order_id}")
    async def create(order_id: str) -> None:
        await setup.documents.insert({"_id": order_id, DUE_FIELD: None}, [_reminder(order_id)])

    async with _served(setup, router, tmp_path) as client:
        assert (await client.post("/orders/ord_6")).status_code == 200

    (request,) = setup.finished("POST /orders/{order_id}")
    stored = await setup.collection.find_one({"_id": "ord_6"})
    assert stored is not None
    assert stored["trace_context"] == {}  # the request's trace is not the order's
    (event,) = await _outbox(setup, "ord_6")  # what it emits is the request's doing
    assert trace_id_of(event.trace) == _trace_id(request)
