"""A person's action over HTTP in the order's trace, in the real Jaeger: a buyer opens a return
case on a delivered order and an agent authorises the return; each request is a server span of
its own trace, and its action on the order is a span of the order's trace, linked both ways, with
everything it caused (support's publish, orders and shipping handling it) below it. Then
``make trace``'s command prints that trace for the order."""

import asyncio
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh

from conveyor_contracts.checkout import OrderPlaced
from conveyor_testkit import Servers, wait_for

CARRIER = "libertyparcel"
OPEN_CASE = "POST /cases"
AUTHORISE_RETURN = "POST /cases/{case_id}/return"


@dataclass
class Action:
    """A support action over HTTP, as Jaeger has it: its span in the order's trace, the
    request's own trace, and that trace's server span."""

    span: dict[str, Any]
    request_trace: dict[str, Any]
    request_span: dict[str, Any]


@dataclass
class Journey:
    order: OrderPlaced
    order_trace: dict[str, Any]  # as Jaeger's /api/traces/<trace id> answers it
    actions: dict[str, Action]  # by name


def _tags(span: dict[str, Any]) -> dict[str, Any]:
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def _service(trace: dict[str, Any], span: dict[str, Any]) -> str:
    return str(trace["processes"][span["processID"]]["serviceName"])


def _parent_id(span: dict[str, Any]) -> str | None:
    parents = [r["spanID"] for r in span["references"] if r["refType"] == "CHILD_OF"]
    return parents[0] if parents else None


def _below(trace: dict[str, Any], top: dict[str, Any]) -> list[dict[str, Any]]:
    """Every span of ``trace`` under ``top``, however deep."""
    children: dict[str, list[dict[str, Any]]] = {}
    for span in trace["spans"]:
        children.setdefault(_parent_id(span) or "", []).append(span)
    found, todo = [], list(children.get(top["spanID"], []))
    while todo:
        span = todo.pop()
        found.append(span)
        todo.extend(children.get(span["spanID"], []))
    return found


def _consumed(trace: dict[str, Any], spans: list[dict[str, Any]], topic: str) -> set[str]:
    """The services with a consumer span of ``topic`` among ``spans``."""
    return {
        _service(trace, span)
        for span in spans
        if _tags(span).get("span.kind") == "consumer"
        and str(_tags(span).get("messaging.destination.name", "")).endswith(topic)
    }


async def _trace(servers: Servers, trace_id: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(base_url=servers.jaeger, timeout=10.0) as client:
        response = await client.get(f"/api/traces/{trace_id}")
    if response.status_code != 200 or not response.json().get("data"):
        return None
    trace: dict[str, Any] = response.json()["data"][0]
    return trace


async def _delivered(mesh: Mesh) -> OrderPlaced:
    item = f"SKU-{uuid.uuid4().hex[:8].upper()}"
    await mesh.receive_goods(item, "WH-US-NJ1", 1)
    order = await mesh.place([(item, 1)])
    booking = await mesh.request(CARRIER, order.order_id)
    await mesh.accept(CARRIER, booking)
    start = datetime.now(UTC)
    for n, status in enumerate(("picked_up", "in_transit", "out_for_delivery", "delivered")):
        await mesh.report(CARRIER, mesh.scan(booking, status, start + timedelta(minutes=n)))
    await mesh.until_status(order.order_id, "delivered")
    return order


async def _order_trace_id(mesh: Mesh, order_id: str) -> str:
    timeline = await mesh.get("support", f"/orders/{order_id}/timeline", mesh.agent_token)
    # The trace the checkout's OrderPlaced began. (This mesh's scripted carrier sends each scan
    # in a trace of its own: the carrier simulator of test_mesh_tracing continues the order's.)
    (trace_id,) = {e["trace_id"] for e in timeline["entries"] if e["event_type"] == "OrderPlaced"}
    return str(trace_id)


async def _complete(servers: Servers, trace_id: str) -> dict[str, Any]:
    """The order's trace once both actions and what they caused downstream are in it."""

    async def complete() -> dict[str, Any] | None:
        trace = await _trace(servers, trace_id)
        if trace is None:
            return None
        actions = [s for s in trace["spans"] if s["operationName"] == AUTHORISE_RETURN]
        opened = [s for s in trace["spans"] if s["operationName"] == OPEN_CASE]
        if len(actions) != 1 or len(opened) != 1:
            return None
        caused = _consumed(trace, _below(trace, actions[0]), "support.cases.v1")
        return trace if {"orders", "shipping"} <= caused else None

    found: dict[str, Any] = await wait_for(complete, within=60, interval=0.5)  # type: ignore[assignment]
    return found


async def _action(servers: Servers, order_trace: dict[str, Any], name: str) -> Action:
    (span,) = [s for s in order_trace["spans"] if s["operationName"] == name]
    (request_trace_id,) = {
        r["traceID"] for r in span["references"] if r["traceID"] != order_trace["traceID"]
    }

    async def arrived() -> dict[str, Any] | None:
        return await _trace(servers, request_trace_id)

    request_trace: dict[str, Any] = await wait_for(arrived, within=30, interval=0.5)  # type: ignore[assignment]
    (request_span,) = [s for s in request_trace["spans"] if s["operationName"] == name]
    return Action(span, request_trace, request_span)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def journey(servers: Servers, kafka: str) -> AsyncIterator[Journey]:
    async with running_mesh(servers, kafka) as mesh:
        order = await _delivered(mesh)
        opened = await mesh.call(
            "support", "POST", "/cases", mesh.buyer_token, order_id=order.order_id,
            kind="return_request", summary="The box came crushed, please call me",
        )  # fmt: skip
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        line = {"sku": order.lines[0].sku, "quantity": 1, "reason": "damaged"}

        async def authorised() -> bool:
            response = await mesh.call(
                "support", "POST", f"/cases/{case_id}/return", mesh.agent_token, lines=[line]
            )
            return response.status_code == 200  # once support has heard of the delivery

        await wait_for(authorised, within=60)
        await mesh.until_status(order.order_id, "return_requested")
        await mesh.request(CARRIER, order.order_id, "BookReturnPickup")
        trace_id = await _order_trace_id(mesh, order.order_id)
        order_trace = await _complete(servers, trace_id)
        actions = {
            name: await _action(servers, order_trace, name)
            for name in (OPEN_CASE, AUTHORISE_RETURN)
        }
        yield Journey(order, order_trace, actions)


async def test_an_agents_action_and_all_it_causes_are_in_the_orders_trace(
    journey: Journey,
) -> None:
    trace = journey.order_trace
    action = journey.actions[AUTHORISE_RETURN]
    assert _service(trace, action.span) == "support"
    assert _tags(action.span)["span.kind"] == "internal"
    # Parented in the order's trace, not a root of it.
    spans = {span["spanID"] for span in trace["spans"]}
    assert _parent_id(action.span) in spans

    caused = _below(trace, action.span)
    publishes = [
        s
        for s in caused
        if _tags(s).get("span.kind") == "producer" and _service(trace, s) == "support"
    ]
    assert publishes, "support published nothing under the action"
    assert {"orders", "shipping"} <= _consumed(trace, caused, "support.cases.v1")
    # Shipping booked the return pickup with the carrier: the action's consequence, two hops on.
    assert any(
        str(_tags(s).get("messaging.destination.name", "")).endswith(
            f"carrier.{CARRIER}.requests.v1"
        )
        for s in caused
    )


async def test_the_http_request_is_a_server_span_of_its_own_trace_linked_to_the_orders(
    journey: Journey,
) -> None:
    order_trace_id = journey.order_trace["traceID"]
    for name, action in journey.actions.items():
        request, span = action.request_trace, action.request_span
        assert request["traceID"] != order_trace_id
        assert _service(request, span) == "support"
        tags = _tags(span)
        assert tags["span.kind"] == "server"
        assert tags["http.route"] == name.split(" ", 1)[1]
        assert tags["http.status_code"] in (200, 201)
        # Each leads to the other: the request to its action in the order's trace, and back.
        assert {(r["traceID"], r["spanID"]) for r in span["references"]} >= {
            (order_trace_id, action.span["spanID"])
        }
        assert (request["traceID"], span["spanID"]) in {
            (r["traceID"], r["spanID"]) for r in action.span["references"]
        }


async def test_no_personal_data_reaches_the_requests_or_the_orders_trace(
    journey: Journey,
) -> None:
    text = json.dumps(journey.order_trace) + "".join(
        json.dumps(action.request_trace) for action in journey.actions.values()
    )
    recipient, address = journey.order.recipient, journey.order.ship_to
    for personal in (recipient.name, recipient.phone, *address.address_lines, "crushed"):
        assert personal not in text
    for action in journey.actions.values():
        tags = _tags(action.request_span)
        assert not {"http.user_agent", "net.peer.ip", "http.url"} & set(tags)


async def test_make_trace_prints_the_orders_waterfall_with_the_support_action(
    journey: Journey, servers: Servers
) -> None:
    action = journey.actions[AUTHORISE_RETURN]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "conveyor_local.trace", journey.order.order_id,
        "--jaeger", servers.jaeger, "--linked",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    lines = out.decode().split("\n\n")[0].splitlines()  # the order's, before the linked ones
    assert lines[0].startswith(f"trace {journey.order_trace['traceID']}: ")
    (line,) = [line for line in lines if f"support  {AUTHORISE_RETURN}" in line]
    assert f"-> follows from trace {action.request_trace['traceID']}" in line

    # Indented under its parent, unlike the trace's first span.
    def indent(text: str) -> int:
        columns = re.match(r" *[0-9.]+ +[0-9.]+  ( *)", text)
        assert columns is not None, text
        return len(columns.group(1))

    assert indent(line) > indent(lines[2]) == 0
    # With --linked, the request's own trace follows, its server span at the top.
    assert f"trace {action.request_trace['traceID']}: " in out.decode()
    assert journey.order.recipient.name not in out.decode()


async def test_make_trace_says_so_when_no_trace_holds_the_order(servers: Servers) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "conveyor_local.trace", f"ord_{uuid.uuid4().hex[:12]}",
        "--jaeger", servers.jaeger, "--hours", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert out == b""
    assert b"No trace of order" in err
