"""HTTP requests on an app built as the services build theirs: a server span named for the route
template with nothing personal on it, a duration sample by route and status, and an action on
an order done in the order's trace. In process, no servers."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, HTTPException
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.http_telemetry import SERVER_ATTRIBUTES
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.outbox import OutboxMessage, outbox_message
from conveyor_runtime.request_tracing import in_order_trace, trace_to_remember
from conveyor_runtime.service import build_api
from conveyor_runtime.settings import ServiceSettings
from conveyor_runtime.tokens import Issuer
from conveyor_runtime.tracing import LINK_REASON, current_trace_context, trace_id_of

CLIENT = ("203.0.113.7", 51234)  # the caller's address: personal data, never on a span
USER_AGENT = "Mozilla/5.0 (agent console; Ada Lovelace)"


class Noted(Envelope):
    order_id: str


@dataclass
class Served:
    client: httpx.AsyncClient
    spans: InMemorySpanExporter
    metrics: MessagingMetrics
    provider: TracerProvider
    # What the order routes left: the events they wrote and the trace a new document remembers.
    written: list[OutboxMessage]
    remembered: list[dict[str, str]]

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def seconds(self, method: str, route: str, status: int) -> float | None:
        labels = {"method": method, "route": route, "status": str(status)}
        return self.metrics.registry.get_sample_value("conveyor_http_request_seconds_count", labels)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    metrics = MessagingMetrics()
    written: list[OutboxMessage] = []
    remembered: list[dict[str, str]] = []
    order_traces: dict[str, dict[str, str]] = {}
    router = APIRouter()

    @router.post("/cases/{case_id}/status")
    async def change(case_id: str, status: str) -> dict[str, str]:
        return {"case_id": case_id, "status": status}

    @router.get("/things/{thing_id}")
    async def read(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404, "not found")
        return {"thing_id": thing_id}

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/orders/{order_id}/notes")
    async def note(order_id: str) -> dict[str, str]:
        # What ``OutboxDocuments`` does with a document that remembers the order's trace.
        with in_order_trace(order_traces.get(order_id)):
            written.append(_noted(order_id))
            remembered.append(trace_to_remember())
        return {}

    @router.post("/orders/{order_id}/placed")
    async def placed(order_id: str) -> dict[str, str]:  # the order's own trace begins
        with provider.get_tracer("test").start_as_current_span("order placed"):
            order_traces[order_id] = current_trace_context()
        return {}

    settings = ServiceSettings(
        service_name="test", mongo_database="test", jwks_path=Issuer.at(tmp_path).jwks_path
    )
    app = build_api(settings, [router], tracer_provider=provider, metrics=metrics)
    transport = httpx.ASGITransport(app=app, client=CLIENT)
    client = httpx.AsyncClient(transport=transport, base_url="http://support.test")
    yield Served(client, spans, metrics, provider, written, remembered)
    provider.shutdown()


def _noted(order_id: str) -> OutboxMessage:
    event = Noted(
        event_id=uuid.uuid4(),
        event_type="Noted",
        occurred_at=datetime.now(UTC),
        correlation_id=order_id,
        producer="test",
        order_id=order_id,
    )
    return outbox_message(event, topic="notes", key=order_id)


async def test_a_request_is_a_server_span_named_for_its_route_template_with_nothing_personal(
    served: Served,
) -> None:
    response = await served.client.post(
        "/cases/case_1/status?status=resolved&email=ada%40example.com",
        headers={"user-agent": USER_AGENT},
    )
    assert response.status_code == 200

    (span,) = served.finished()
    assert span.name == "POST /cases/{case_id}/status"
    assert span.kind == SpanKind.SERVER
    attributes = dict(span.attributes or {})
    assert attributes["http.route"] == "/cases/{case_id}/status"
    assert attributes["http.status_code"] == 200
    assert set(attributes) <= SERVER_ATTRIBUTES
    text = repr(attributes)
    for personal in (CLIENT[0], str(CLIENT[1]), "Ada", "Mozilla", "example.com"):
        assert personal not in text


async def test_request_durations_are_counted_by_route_template_and_status(
    served: Served,
) -> None:
    await served.client.get("/things/a")
    await served.client.get("/things/b")
    await served.client.get("/things/missing")
    await served.client.get("/nowhere/at/all")

    assert served.seconds("GET", "/things/{thing_id}", 200) == 2
    assert served.seconds("GET", "/things/{thing_id}", 404) == 1
    assert served.seconds("GET", "unmatched", 404) == 1
    assert served.seconds("GET", "/things/a", 200) is None  # never the path with its ids
    statuses = {
        span.attributes["http.status_code"] for span in served.finished() if span.attributes
    }
    assert statuses == {200, 404}


async def test_probes_are_timed_but_make_no_span(served: Served) -> None:
    assert (await served.client.get("/healthz")).status_code == 200

    assert served.finished() == []
    assert served.seconds("GET", "/healthz", 200) == 1


async def test_an_action_on_an_order_is_a_span_of_the_orders_trace_linked_to_the_request(
    served: Served,
) -> None:
    await served.client.post("/orders/ord_1/placed")
    served.spans.clear()

    await served.client.post("/orders/ord_1/notes")

    (action, request) = sorted(served.finished(), key=lambda span: span.kind.value)
    assert (action.kind, request.kind) == (SpanKind.INTERNAL, SpanKind.SERVER)
    (event,) = served.written
    order_trace = trace_id_of(event.trace)
    assert order_trace == format_trace_id(action.context.trace_id)
    assert order_trace != format_trace_id(request.context.trace_id)
    # The action is named for the request, and its events are its children in the order's trace.
    assert action.name == request.name == "POST /orders/{order_id}/notes"
    assert event.trace["traceparent"].split("-")[2] == format_span_id(action.context.span_id)
    assert served.remembered == [event.trace]  # a document made here remembers the order's
    # Each leads to the other.
    assert [(link.context.span_id, dict(link.attributes or {})) for link in action.links] == [
        (request.context.span_id, {LINK_REASON: "http_request"})
    ]
    assert [(link.context.span_id, dict(link.attributes or {})) for link in request.links] == [
        (action.context.span_id, {LINK_REASON: "order_trace"})
    ]


async def test_an_action_whose_order_trace_is_unknown_stays_in_the_requests_trace(
    served: Served,
) -> None:
    await served.client.post("/orders/ord_2/notes")

    (request,) = served.finished()
    (event,) = served.written
    assert trace_id_of(event.trace) == format_trace_id(request.context.trace_id)
    assert served.remembered == [{}]  # the request's trace is not the order's


async def test_a_request_that_carries_the_orders_trace_acts_in_it_with_no_second_span(
    served: Served,
) -> None:
    await served.client.post("/orders/ord_3/placed")
    (placed,) = [span for span in served.finished() if span.name == "order placed"]
    served.spans.clear()
    traceparent = (
        f"00-{format_trace_id(placed.context.trace_id)}-{format_span_id(placed.context.span_id)}-01"
    )

    await served.client.post("/orders/ord_3/notes", headers={"traceparent": traceparent})

    (request,) = served.finished()
    assert request.context.trace_id == placed.context.trace_id
    (event,) = served.written
    assert event.trace["traceparent"].split("-")[2] == format_span_id(request.context.span_id)
