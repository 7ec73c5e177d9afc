"""The HTTP rules on in-memory adapters: who may read which order, what a stranger learns."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from support_testkit import ORDER, World, event, world

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.shipping import ShipmentLost
from support.entrypoints.http import support_router
from support.settings import SupportSettings
from support.usecases.open_case_on_exception import open_case_on_exception
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

AGENT = {"Authorization": "Bearer agent-token"}
ADA = {"Authorization": "Bearer ada-token"}
BOB = {"Authorization": "Bearer bob-token"}


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    w = world()
    settings = SupportSettings(
        agent_tokens={"agent-token": "agt_1"},
        buyer_tokens={"ada-token": "byr_ada001", "bob-token": "byr_bob001"},
    )
    app = FastAPI()
    app.include_router(support_router(w.support, settings))
    placed = event(OrderPlaced, buyer_id="byr_ada001")
    await record_timeline_on_order_event(placed, "checkout.orders.v1", None, w.timelines)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://support") as client:
        yield client, w


async def test_no_or_an_invalid_token_is_401(api: tuple[httpx.AsyncClient, World]) -> None:
    client, _ = api
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRhOng="}):
        response = await client.get(f"/orders/{ORDER}/timeline", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert (await client.post("/cases", json={})).status_code == 401


async def test_a_buyer_reads_only_their_orders_and_learns_nothing_of_others(
    api: tuple[httpx.AsyncClient, World],
) -> None:
    client, _ = api
    own = await client.get(f"/orders/{ORDER}/timeline", headers=ADA)
    assert own.status_code == 200
    assert [e["event_type"] for e in own.json()["entries"]] == ["OrderPlaced"]
    assert "byr_ada001" not in own.text
    foreign = await client.get(f"/orders/{ORDER}/timeline", headers=BOB)
    unknown = await client.get("/orders/ord_doesnotexist/timeline", headers=BOB)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert (await client.get(f"/orders/{ORDER}/where", headers=BOB)).status_code == 404
    opened = await client.post("/cases", json={"order_id": ORDER, "kind": "damaged"}, headers=BOB)
    assert opened.status_code == 404
    assert opened.json() == unknown.json()


async def test_agents_read_every_order(api: tuple[httpx.AsyncClient, World]) -> None:
    client, _ = api
    assert (await client.get(f"/orders/{ORDER}/timeline", headers=AGENT)).status_code == 200
    where = await client.get(f"/orders/{ORDER}/where", headers=AGENT)
    assert where.json()["status"] == "placed"


async def test_cases_follow_their_order_and_only_agents_move_them(
    api: tuple[httpx.AsyncClient, World],
) -> None:
    client, w = api
    await open_case_on_exception(event(ShipmentLost), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    case_id = cases.cases[0].case_id
    assert (await client.get(f"/cases/{case_id}", headers=ADA)).json()["kind"] == "lost_parcel"
    hidden = await client.get(f"/cases/{case_id}", headers=BOB)
    missing = await client.get("/cases/case_00000000000", headers=BOB)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    moved = await client.post(f"/cases/{case_id}/status", json={"status": "closed"}, headers=ADA)
    assert moved.status_code == 403
    moved = await client.post(
        f"/cases/{case_id}/status", json={"status": "resolved"}, headers=AGENT
    )
    assert moved.json()["status"] == "resolved"
    backwards = await client.post(
        f"/cases/{case_id}/status", json={"status": "waiting"}, headers=AGENT
    )
    assert backwards.status_code == 409


async def test_a_buyer_opens_a_case_and_bad_bodies_say_what_is_wrong(
    api: tuple[httpx.AsyncClient, World],
) -> None:
    client, w = api
    opened = await client.post(
        "/cases", json={"order_id": ORDER, "kind": "damaged", "summary": "mug broken"}, headers=ADA
    )
    assert opened.status_code == 201
    assert (opened.json()["opened_by"], opened.json()["status"]) == ("buyer", "open")
    assert w.types() == ["CaseOpened"]
    for body in (
        {"order_id": ORDER, "kind": "lost_parcel"},  # a system kind
        {"order_id": ORDER},
        {"order_id": ORDER, "kind": "other", "summary": "x" * 501},
        {"order_id": ORDER, "kind": "other", "surprise": 1},
    ):
        response = await client.post("/cases", json=body, headers=ADA)
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"]
    wrong = await client.post(
        f"/cases/{opened.json()['case_id']}/status", json={"status": "done"}, headers=AGENT
    )
    assert wrong.status_code == 422
    assert "waiting" in wrong.text
