"""Every HTTP request traced and timed: a server span and a sample of its duration.

OpenTelemetry's FastAPI instrumentation makes the server span, named for the method and the
route template (``POST /cases/{case_id}/status``, never the path with its ids). Only attributes
known to hold no personal data reach it (``SERVER_ATTRIBUTES``): not the client's address and
port, its user agent, nor the full URL with its query string. Probes and scrapes (``/healthz``,
``/readyz``, ``/metrics``) make no span: every few seconds, they would drown the traces.

Inside the span, the request is made known to the documents it reads and changes
(``conveyor_runtime.request_tracing``): what it changes on an order's documents is done in the
order's trace. Its duration goes to ``conveyor_http_request_seconds{method,route,status}``, the
route as its template (``unmatched`` for a path no route has).
"""

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.trace import Link, Span, SpanKind, Status, Tracer, TracerProvider
from opentelemetry.util.types import Attributes, AttributeValue
from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor_runtime.request_tracing import HttpRequest, serving

# What a server span may carry: the method, the route template, the status, the scheme and
# protocol, our own host and port, and the path (ids only: order, case, shipment, SKU).
SERVER_ATTRIBUTES = frozenset(
    {
        "http.method",
        "http.request.method",
        "http.route",
        "http.status_code",
        "http.response.status_code",
        "http.scheme",
        "url.scheme",
        "http.flavor",
        "network.protocol.version",
        "http.host",
        "http.server_name",
        "server.address",
        "server.port",
        "net.host.port",
        "http.target",
        "url.path",
        "error.type",
    }
)
# Hit every few seconds by probes and Prometheus: timed, never traced.
UNTRACED_PATHS = ("/healthz", "/readyz", "/metrics")
UNMATCHED = "unmatched"


def instrument_http(
    app: FastAPI, tracer_provider: TracerProvider, request_seconds: Histogram | None = None
) -> None:
    """Give every request of ``app`` a server span on ``tracer_provider`` and, with
    ``request_seconds`` (labelled method, route, status), a duration sample."""
    tracer = tracer_provider.get_tracer(__name__)
    # Inside the instrumentation's middleware (Starlette puts user middleware there), so the
    # server span is current. The instrumentation also wraps Starlette's BackgroundTask, once
    # per process and with the first app's tracer: no service uses background tasks.
    app.add_middleware(_ServedRequests, tracer=tracer, request_seconds=request_seconds)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_WithoutPersonalData(tracer_provider),
        meter_provider=NoOpMeterProvider(),  # metrics are Prometheus', below
        excluded_urls=",".join(f"{path}$" for path in UNTRACED_PATHS),
        exclude_spans=["receive", "send"],  # a span per ASGI message: noise
    )


def route_of(scope: Scope) -> str | None:
    """The template of the route that served ``scope`` (once routed), e.g. ``/cases/{case_id}``."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    return f"{scope.get('root_path', '')}{template}" if isinstance(template, str) else None


class _ServedRequests:
    """Inside the instrumentation's middleware, so its server span is current: tells the
    documents which request they serve, and times it."""

    def __init__(self, app: ASGIApp, *, tracer: Tracer, request_seconds: Histogram | None) -> None:
        self.app = app
        self.tracer = tracer
        self.request_seconds = request_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts: an error no handler answered
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        method = str(scope.get("method", "HTTP"))
        request = HttpRequest(
            trace.get_current_span(),
            self.tracer,
            name=lambda: f"{method} {route_of(scope) or UNMATCHED}",
        )
        try:
            with serving(request):
                await self.app(scope, receive, sending)
        finally:
            if self.request_seconds is not None:
                self.request_seconds.labels(
                    method, route_of(scope) or UNMATCHED, str(status)
                ).observe(time.perf_counter() - started)


def _kept(attributes: Attributes) -> dict[str, AttributeValue]:
    return {key: value for key, value in (attributes or {}).items() if key in SERVER_ATTRIBUTES}


class _WithoutPersonalData(trace.TracerProvider):
    """The instrumentation's view of the provider: its spans keep ``SERVER_ATTRIBUTES`` only.

    The instrumentation sets every attribute it collects, with no way to leave one out; this
    is where the others are dropped, before any reaches the span.
    """

    def __init__(self, provider: TracerProvider) -> None:
        self._provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        return _Tracer(self._provider.get_tracer(*args, **kwargs))


class _Tracer(trace.Tracer):
    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def start_span(
        self,
        name: str,
        context: Any = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        span = self._tracer.start_span(
            name,
            context,
            kind,
            _kept(attributes),
            links,
            start_time,
            record_exception,
            set_status_on_exception,
        )
        return _Span(span, kind)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, name: str, *args: Any, end_on_exit: bool = True, **kwargs: Any
    ) -> Iterator[Span]:
        span = self.start_span(name, *args, **kwargs)
        with trace.use_span(span, end_on_exit=end_on_exit) as current:
            yield current


class _Span(Span):
    """A span that drops attributes a server span must not carry; the rest goes through."""

    def __init__(self, span: Span, kind: SpanKind) -> None:
        self._span = span
        self.kind = kind  # read by the instrumentation (server spans get the response headers)

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        if key in SERVER_ATTRIBUTES:
            self._span.set_attribute(key, value)

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        self._span.set_attributes(_kept(attributes))

    def end(self, end_time: int | None = None) -> None:
        self._span.end(end_time)

    def get_span_context(self) -> trace.SpanContext:
        return self._span.get_span_context()

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        self._span.add_event(name, attributes, timestamp)

    def add_link(self, context: trace.SpanContext, attributes: Attributes = None) -> None:
        self._span.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        self._span.update_name(name)

    def is_recording(self) -> bool:
        return self._span.is_recording()

    def set_status(self, status: Status | Any, description: str | None = None) -> None:
        self._span.set_status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        self._span.record_exception(exception, attributes, timestamp, escaped)
