"""An HTTP request's work on an order, in the order's trace.

An HTTP request is a trace of its own (its server span, ``conveyor_runtime.http_telemetry``), or
its caller's. What it changes on an order's documents joins the order's trace instead
(``in_order_trace``): a span named for the request, parented in the trace the document remembers
(``conveyor_runtime.tracing``), holds the change and is the parent of the events it emits, so a
person's action (an agent settling a case) and all it causes downstream appear in the order's
trace; the request's server span and that span link each other. A document first written in a
request remembers the order's trace when the request read another document of the same key that
remembers it (an order's first case, after its timeline was read), and no trace otherwise: the
request's is not the order's.
"""

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Tracer

from conveyor_runtime.tracing import (
    LINK_REASON,
    current_trace_context,
    link_to_order_trace,
    span_context_of,
)

# The HTTP request being served, in the OpenTelemetry context (attached for its handling only).
_REQUEST = otel_context.create_key("conveyor-http-request")


@dataclass
class HttpRequest:
    """An HTTP request being served, as the documents it reads and changes see it.

    Attributes:
        span: Its server span: a trace of its own, or its caller's.
        tracer: Where the span of its action in an order's trace comes from.
        name: The name of that span once the request is routed, e.g. ``POST /cases/{case_id}``.
        order_traces: Per document key, the order's trace a document read in this request
            remembers; a document of the same key created later in the request (the first case
            of an order whose timeline was read) remembers it too. Documents of one order share
            the order's key.
    """

    span: Span
    tracer: Tracer
    name: Callable[[], str]
    order_traces: dict[Hashable, dict[str, str]] = field(default_factory=dict)

    def in_own_trace(self) -> bool:
        """Whether the current span is in the request's own trace (not joined an order's)."""
        current = trace.get_current_span().get_span_context()
        return current.trace_id == self.span.get_span_context().trace_id


@contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    """Make ``request`` the one being served while its handler runs."""
    token = otel_context.attach(otel_context.set_value(_REQUEST, request))
    try:
        yield
    finally:
        otel_context.detach(token)


def current_request() -> HttpRequest | None:
    """The HTTP request being served, if any (a consumer or a timer serves none)."""
    request = otel_context.get_value(_REQUEST)
    return request if isinstance(request, HttpRequest) else None


def remember_order_trace(key: Hashable, carrier: Mapping[str, str] | None) -> None:
    """Note, in the request being served, the order's trace a document of ``key`` remembers."""
    request = current_request()
    if request is not None and span_context_of(carrier) is not None:
        request.order_traces.setdefault(key, dict(carrier or {}))


def request_order_trace(key: Hashable) -> dict[str, str] | None:
    """The order's trace a document of ``key`` read in the request being served remembers."""
    request = current_request()
    return request.order_traces.get(key) if request is not None else None


def trace_to_remember() -> dict[str, str]:
    """What a new document remembers as its order's trace: the current one, unless that is an
    HTTP request's own (the order's is unknown then: nothing is remembered)."""
    request = current_request()
    if request is not None and request.in_own_trace():
        return {}
    return current_trace_context()


def in_request_trace(carrier: Mapping[str, str] | None) -> bool:
    """Whether ``carrier`` points into the own trace of the HTTP request being served."""
    request = current_request()
    origin = span_context_of(carrier)
    if request is None or origin is None:
        return False
    return origin.trace_id == request.span.get_span_context().trace_id


@contextmanager
def in_order_trace(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Where work on a document that remembers its order's trace (``carrier``) is traced.

    Serving an HTTP request in another trace: inside a new current span, named for the request
    and parented in the order's trace, so the change and the events it emits continue the
    order's trace; the request's server span links to it and it to the request's. Anywhere
    else (a consumer whose message came without ``traceparent``), the current span keeps its
    trace and links to the order's (``link_to_order_trace``).
    """
    request = current_request()
    origin = span_context_of(carrier)
    current = trace.get_current_span().get_span_context()
    if request is None or origin is None or current.trace_id == origin.trace_id:
        link_to_order_trace(carrier)
        yield
        return
    links = [Link(current, {LINK_REASON: "http_request"})] if current.is_valid else []
    with request.tracer.start_as_current_span(
        request.name(),
        context=trace.set_span_in_context(trace.NonRecordingSpan(origin)),
        kind=SpanKind.INTERNAL,
        links=links,
        # A refused action (a 409) is the request's answer, not a failure of the order's flow.
        set_status_on_exception=False,
    ) as span:
        request.span.add_link(span.get_span_context(), {LINK_REASON: "order_trace"})
        yield
