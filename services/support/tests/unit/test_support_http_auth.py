"""The HTTP rules on in-memory adapters: who may read which order, what a stranger learns."""

from collections.abc import AsyncIterator

import httpx
import pytest
from support_bearers import Who
from support_testkit import ORDER, World, event, world

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.shipping import ShipmentLost
from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers
from support.entrypoints.http import support_router
from support.settings import SupportSettings
from support.usecases.open_case_on_exception import open_case_on_exception
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event


@pytest.fixture
def who(token_issuer: Issuer) -> Who:
    return Who.of(token_issuer, ada="byr_ada001", bob="byr_bob001")


@pytest.fixture
async def api(token_issuer: Issuer) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    w = world()
    settings = SupportSettings(jwks_path=token_issuer.jwks_path)
    app = build_api(settings, [support_router(w.support, settings)])
    placed = event(OrderPlaced, buyer_id="byr_ada001")
    await record_timeline_on_order_event(placed, "checkout.orders.v1", None, w.timelines)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://support") as client:
        yield client, w


async def test_no_or_an_invalid_token_is_401(
    api: tuple[httpx.AsyncClient, World], who: Who
) -> None:
    client, _ = api
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRhOng="}):
        response = await client.get(f"/orders/{ORDER}/timeline", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.post("/cases", json={})).status_code == 401


async def test_a_buyer_reads_only_their_orders_and_learns_nothing_of_others(
    api: tuple[httpx.AsyncClient, World], who: Who
) -> None:
    client, _ = api
    own = await client.get(f"/orders/{ORDER}/timeline", headers=who.ada)
    assert own.status_code == 200
    assert [e["event_type"] for e in own.json()["entries"]] == ["OrderPlaced"]
    assert "byr_ada001" not in own.text
    foreign = await client.get(f"/orders/{ORDER}/timeline", headers=who.bob)
    unknown = await client.get("/orders/ord_doesnotexist/timeline", headers=who.bob)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert (await client.get(f"/orders/{ORDER}/where", headers=who.bob)).status_code == 404
    opened = await client.post(
        "/cases", json={"order_id": ORDER, "kind": "damaged"}, headers=who.bob
    )
    assert opened.status_code == 404
    assert opened.json() == unknown.json()


async def test_agents_read_every_order(api: tuple[httpx.AsyncClient, World], who: Who) -> None:
    client, _ = api
    assert (await client.get(f"/orders/{ORDER}/timeline", headers=who.agent)).status_code == 200
    where = await client.get(f"/orders/{ORDER}/where", headers=who.agent)
    assert where.json()["status"] == "placed"


async def test_cases_follow_their_order_and_only_agents_move_them(
    api: tuple[httpx.AsyncClient, World], who: Who
) -> None:
    client, w = api
    await open_case_on_exception(event(ShipmentLost), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    case_id = cases.cases[0].case_id
    assert (await client.get(f"/cases/{case_id}", headers=who.ada)).json()["kind"] == "lost_parcel"
    hidden = await client.get(f"/cases/{case_id}", headers=who.bob)
    missing = await client.get("/cases/case_00000000000", headers=who.bob)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    moved = await client.post(
        f"/cases/{case_id}/status", json={"status": "closed"}, headers=who.ada
    )
    assert moved.status_code == 403
    moved = await client.post(
        f"/cases/{case_id}/status", json={"status": "resolved"}, headers=who.agent
    )
    assert moved.json()["status"] == "resolved"
    backwards = await client.post(
        f"/cases/{case_id}/status", json={"status": "waiting"}, headers=who.agent
    )
    assert backwards.status_code == 409


async def test_a_buyer_opens_a_case_and_bad_bodies_say_what_is_wrong(
    api: tuple[httpx.AsyncClient, World], who: Who
) -> None:
    client, w = api
    opened = await client.post(
        "/cases",
        json={"order_id": ORDER, "kind": "damaged", "summary": "mug broken"},
        headers=who.ada,
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
        response = await client.post("/cases", json=body, headers=who.ada)
        assert response.status_code == 422
        assert response.json()["invalid-params"][0]["reason"]
    wrong = await client.post(
        f"/cases/{opened.json()['case_id']}/status", json={"status": "done"}, headers=who.agent
    )
    assert wrong.status_code == 422
    assert "waiting" in wrong.text


async def test_expired_forged_and_foreign_tokens_get_401_problems_on_every_route(
    api: tuple[httpx.AsyncClient, World], token_issuer: Issuer
) -> None:
    client, _ = api
    calls = (
        ("GET", f"/orders/{ORDER}/timeline", None),
        ("GET", f"/orders/{ORDER}/where", None),
        ("POST", "/cases", {"order_id": ORDER, "kind": "damaged"}),
        ("GET", "/cases/case_00000000000", None),
        ("POST", "/cases/case_00000000000/status", {"status": "closed"}),
        ("POST", "/cases/case_00000000000/return", {"lines": []}),
        ("POST", "/cases/case_00000000000/resolution", {"action": "refund"}),
    )
    for name, headers in refused_bearers(token_issuer).items():
        for method, path, body in calls:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (name, path)
            assert response.headers["content-type"] == PROBLEM_JSON


async def test_operators_get_403_and_a_buyer_on_an_agent_action_gets_403(
    api: tuple[httpx.AsyncClient, World], who: Who
) -> None:
    client, _ = api
    read = await client.get(f"/orders/{ORDER}/timeline", headers=who.operator)
    assert read.status_code == 403
    assert read.headers["content-type"] == PROBLEM_JSON
    settle = {"action": "refund"}
    refused = await client.post("/cases/case_00000000000/resolution", json=settle, headers=who.ada)
    assert refused.status_code == 403  # before any lookup: a buyer never learns if it exists
    assert refused.json()["detail"] == "the buyer role may not do this"


async def test_a_buyer_token_signed_by_the_previous_key_still_reads(
    api: tuple[httpx.AsyncClient, World], token_issuer: Issuer
) -> None:
    client, _ = api
    previous = token_issuer.key_ids()[0]
    headers = token_issuer.bearer("buyer", "byr_ada001", kid=previous)
    assert (await client.get(f"/orders/{ORDER}/timeline", headers=headers)).status_code == 200
