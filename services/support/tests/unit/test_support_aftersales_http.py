"""After-sales over HTTP: who may ask for a return or a resolution, what they hear back (no
personal data), and why a refusal is a 403, 404, 409 or 422."""

from collections.abc import AsyncIterator

import httpx
import pytest
from support_aftersales_testkit import BUYER, ordered, placed
from support_bearers import Who
from support_testkit import World, world

from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from support.domain.aftersales import rma_id_of
from support.entrypoints.http import support_router
from support.settings import SupportSettings


@pytest.fixture
def who(token_issuer: Issuer) -> Who:
    return Who.of(token_issuer, ada=BUYER.subject, bob="byr_bob001")


@pytest.fixture
async def api(token_issuer: Issuer) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    w = world()
    settings = SupportSettings(jwks_path=token_issuer.jwks_path)
    app = build_api(settings, [support_router(w.support, settings)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://support") as client:
        yield client, w


RETURN = {"lines": [{"sku": "TEE-BLK-M", "quantity": 1, "reason": "changed_mind"}]}


async def test_http_returns_who_may_ask_and_what_they_hear(
    api: tuple[httpx.AsyncClient, World], who: Who
) -> None:
    client, w = api
    case_id = await ordered(w)
    assert (await client.post(f"/cases/{case_id}/return", json=RETURN)).status_code == 401
    foreign = await client.post(f"/cases/{case_id}/return", json=RETURN, headers=who.bob)
    unknown = await client.post("/cases/case_00000000000/return", json=RETURN, headers=who.bob)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    bad = await client.post(
        f"/cases/{case_id}/return", json={"lines": [{"sku": "TEE-BLK-M", "quantity": 0}]},
        headers=who.ada,
    )  # fmt: skip
    assert bad.status_code == 422
    first = await client.post(f"/cases/{case_id}/return", json=RETURN, headers=who.ada)
    again = await client.post(f"/cases/{case_id}/return", json=RETURN, headers=who.agent)
    assert first.status_code == again.status_code == 200
    assert first.json()["rma"] == again.json()["rma"]
    assert first.json()["rma"]["rma_id"] == rma_id_of(case_id)
    assert first.json()["status"] == "waiting"
    order = placed()
    for secret in (order.ship_to.city, order.ship_to.postal_code, order.recipient.name):
        assert secret not in first.text
    assert w.types().count("ReturnAuthorised") == 1
    w.clock.advance(days=45)
    late = await ordered(w, days_ago=None)  # a new case, the order delivered 48 days ago
    refused = await client.post(f"/cases/{late}/return", json=RETURN, headers=who.agent)
    assert refused.status_code == 409
    assert "window" in refused.json()["detail"]
    damaged = await ordered(w, kind="damaged")
    by_buyer = await client.post(f"/cases/{damaged}/return", json=RETURN, headers=who.ada)
    assert by_buyer.status_code == 403


async def test_http_resolution_is_for_agents_and_says_why_not(
    api: tuple[httpx.AsyncClient, World], who: Who
) -> None:
    client, w = api
    lost = await ordered(w, kind="missing")
    reship = {"action": "reship", "lines": [{"sku": "MUG-WHT-01", "quantity": 1}]}
    by_buyer = await client.post(f"/cases/{lost}/resolution", json=reship, headers=who.ada)
    assert by_buyer.status_code == 403
    for body in ({"action": "reship"}, {"action": "refund", "amount_minor": 0}, {"action": "x"}):
        response = await client.post(f"/cases/{lost}/resolution", json=body, headers=who.agent)
        assert response.status_code == 422
    done = await client.post(f"/cases/{lost}/resolution", json=reship, headers=who.agent)
    again = await client.post(f"/cases/{lost}/resolution", json=reship, headers=who.agent)
    assert done.status_code == again.status_code == 200
    assert (done.json()["status"], done.json()["resolution"]) == ("resolved", "reshipped")
    assert done.json()["settlement"]["lines"] == [{"sku": "MUG-WHT-01", "quantity": 1}]
    refund = await client.post(
        f"/cases/{lost}/resolution", json={"action": "refund"}, headers=who.agent
    )
    assert refund.status_code == 409
    wismo = await ordered(w, kind="return_request")
    other_kind = await client.post(
        f"/cases/{wismo}/resolution", json={"action": "refund"}, headers=who.agent
    )
    assert other_kind.status_code == 409
    missing = await client.post(
        "/cases/case_00000000000/resolution", json={"action": "refund"}, headers=who.agent
    )
    assert missing.status_code == 404
    assert w.types().count("ReshipmentApproved") == 1
