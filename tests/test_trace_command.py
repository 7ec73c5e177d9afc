"""``make trace``'s command without servers: the waterfall of a trace as Jaeger's HTTP API
answers it (the shape recorded from the local Jaeger, trimmed to a few spans), the search that
picks the order's trace, and what it says when Jaeger does not answer. The same command on a
real order in the real Jaeger: tests/test_http_tracing.py."""

import json
import socket
from typing import Any

import httpx
import pytest

from conveyor_local.trace.cli import Jaeger, find_order_trace, main, report
from conveyor_local.trace.waterfall import linked_traces, render, spans_of

ORDER_TRACE = "91960cb649b85329b74b57a6f0331c95"
REQUEST_TRACE = "ce39185cc068f56c49bdc76d8ab8f7d1"
START = 1796398086211577  # µs since the epoch, as Jaeger gives startTime


def _span(
    span_id: str,
    operation: str,
    process: str,
    start_ms: float,
    duration_ms: float,
    *,
    parent: str | None = None,
    follows: tuple[str, str] | None = None,
    tags: dict[str, Any] | None = None,
    trace_id: str = ORDER_TRACE,
) -> dict[str, Any]:
    references = []
    if parent:
        references.append({"refType": "CHILD_OF", "traceID": trace_id, "spanID": parent})
    if follows:
        references.append({"refType": "FOLLOWS_FROM", "traceID": follows[0], "spanID": follows[1]})
    every = {"otel.scope.name": "conveyor_runtime.tracing", **(tags or {})}
    return {
        "traceID": trace_id,
        "spanID": span_id,
        "operationName": operation,
        "references": references,
        "startTime": START + int(start_ms * 1000),
        "duration": int(duration_ms * 1000),
        "tags": [
            {"key": key, "type": "bool" if isinstance(value, bool) else "string", "value": value}
            for key, value in every.items()
        ],
        "logs": [],
        "processID": process,
        "warnings": None,
    }


def _processes(*services: str) -> dict[str, Any]:
    return {
        f"p{n}": {"serviceName": service, "tags": [{"key": "telemetry.sdk.language",
                                                    "type": "string", "value": "python"}]}
        for n, service in enumerate(services, start=1)
    }  # fmt: skip


# As /api/traces/<id> answers: spans in no particular order, services by process id.
ORDER = {
    "traceID": ORDER_TRACE,
    "spans": [
        _span("c0000000000000a4", "e1-support.cases.v1 process", "p2", 19.2, 0.5,
              parent="c0000000000000a3", tags={"span.kind": "consumer"}),
        _span("c0000000000000a2", "POST /cases/{case_id}/return", "p1", 5.3, 4.3,
              parent="c0000000000000a1", follows=(REQUEST_TRACE, "d0000000000000b1"),
              tags={"span.kind": "internal"}),
        _span("c0000000000000a1", "e1-checkout.orders.v1 process", "p1", 0.0, 8.6,
              tags={"span.kind": "consumer", "conveyor.order_id": "ord_4b6b67eee750"}),
        _span("c0000000000000a3", "e1-support.cases.v1 publish", "p1", 7.4, 1.5,
              parent="c0000000000000a2", tags={"span.kind": "producer"}),
        _span("c0000000000000a5", "e1-orders.status.v1 publish", "p2", 23.8, 15.3,
              parent="c0000000000000a4",
              tags={"span.kind": "producer", "error": True, "otel.status_code": "ERROR",
                    "otel.status_description": "KafkaTimeoutError: no broker"}),
        _span("c0000000000000a6", "e1-shipping.shipments.v1 process", "p3", 30.0, 0.4,
              parent="ffffffffffffffff", tags={"span.kind": "consumer"}),
    ],
    "processes": _processes("support", "orders", "shipping"),
    "warnings": None,
}  # fmt: skip
REQUEST = {
    "traceID": REQUEST_TRACE,
    "spans": [
        _span("d0000000000000b1", "POST /cases/{case_id}/return", "p1", -1.0, 17.1,
              follows=(ORDER_TRACE, "c0000000000000a2"), trace_id=REQUEST_TRACE,
              tags={"span.kind": "server", "http.route": "/cases/{case_id}/return"}),
    ],
    "processes": _processes("support"),
    "warnings": None,
}  # fmt: skip


def test_a_trace_is_one_line_per_span_indented_under_its_parent_in_start_order() -> None:
    lines = render(ORDER)

    assert lines[0] == f"trace {ORDER_TRACE}: 6 spans, 3 services, 39.1 ms, 1 in error"
    assert lines[1].split() == ["start", "ms", "duration", "ms", "service", "operation"]
    assert lines[2:] == [
        "       0.0         8.6  support  e1-checkout.orders.v1 process",
        "       5.3         4.3    support  POST /cases/{case_id}/return"
        f"  -> follows from trace {REQUEST_TRACE}",
        "       7.4         1.5      support  e1-support.cases.v1 publish",
        "      19.2         0.5        orders  e1-support.cases.v1 process",
        "      23.8        15.3          orders  e1-orders.status.v1 publish"
        "  !! ERROR: KafkaTimeoutError: no broker",
        "      30.0         0.4  shipping  e1-shipping.shipments.v1 process"
        "  (parent not in the trace)",
    ]


def test_the_spans_of_a_trace_keep_their_service_parent_timing_links_and_errors() -> None:
    spans = {span.span_id: span for span in spans_of(ORDER)}

    action = spans["c0000000000000a2"]
    assert (action.service, action.parent_id) == ("support", "c0000000000000a1")
    assert (action.start_us - START, action.duration_us) == (5300, 4300)
    assert action.links == ((REQUEST_TRACE, "follows from"),)
    assert action.error is None
    assert spans["c0000000000000a5"].error == "KafkaTimeoutError: no broker"
    assert linked_traces(ORDER) == [REQUEST_TRACE]
    assert linked_traces(REQUEST) == [ORDER_TRACE]


def test_an_empty_trace_says_so() -> None:
    assert render({"traceID": ORDER_TRACE, "spans": [], "processes": {}}) == [
        f"trace {ORDER_TRACE}: no spans"
    ]


def _recorded(searches: list[dict[str, Any]]) -> httpx.MockTransport:
    """A Jaeger whose search finds the order's trace and a later one (a carrier's untraced
    scan), on the orders service only, and which answers the linked request's trace by id."""
    later = {**ORDER, "traceID": "0" * 31 + "1", "spans": [
        _span("e0000000000000c1", "scan", "p1", 90_000.0, 1.0, trace_id="0" * 31 + "1")
    ]}  # fmt: skip

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/traces":
            params = dict(request.url.params)
            searches.append(params)
            found = [later, ORDER] if params["service"] == "orders" else []
            return httpx.Response(200, json={"data": found, "errors": None})
        if request.url.path == f"/api/traces/{REQUEST_TRACE}":
            return httpx.Response(200, json={"data": [REQUEST], "errors": None})
        return httpx.Response(404, json={"data": None, "errors": [{"code": 404}]})

    return httpx.MockTransport(answer)


def test_the_orders_trace_is_the_earliest_holding_its_id_and_its_links_follow() -> None:
    searches: list[dict[str, Any]] = []
    jaeger = Jaeger("http://jaeger.test", transport=_recorded(searches))

    found = find_order_trace(jaeger, "ord_4b6b67eee750", hours=2)

    assert found is not None
    assert found.trace["traceID"] == ORDER_TRACE
    assert found.others == ["0" * 31 + "1"]
    (search,) = searches
    assert search["service"] == "orders"
    assert json.loads(search["tags"]) == {"conveyor.order_id": "ord_4b6b67eee750"}
    assert int(search["end"]) - int(search["start"]) == 2 * 3600 * 1_000_000
    lines = report(jaeger, found, linked=True)
    assert f"In Jaeger's API: http://jaeger.test/api/traces/{ORDER_TRACE}" in lines
    assert f"Another trace holding spans of this order: {'0' * 31}1" in lines
    assert lines[-3:] == [
        f"trace {REQUEST_TRACE}: 1 spans, 1 services, 17.1 ms",
        lines[1],
        "       0.0        17.1  support  POST /cases/{case_id}/return"
        f"  -> follows from trace {ORDER_TRACE}",
    ]


def test_an_order_no_service_traced_is_looked_for_on_every_service() -> None:
    searches: list[dict[str, Any]] = []
    jaeger = Jaeger("http://jaeger.test", transport=_recorded(searches))

    assert find_order_trace(jaeger, "ord_unknown", services=("inventory", "support")) is None
    assert [search["service"] for search in searches] == ["inventory", "support"]


def test_an_unreachable_jaeger_is_told_with_where_it_was_looked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    assert main(["ord_1", "--jaeger", f"http://127.0.0.1:{port}"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert f"Jaeger is not reachable at http://127.0.0.1:{port}" in err
    assert "make status" in err
