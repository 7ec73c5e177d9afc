"""A seller's inbound shipment that did not arrive as announced: one case per ASN, its
discrepancies noted once each, the reconciliation's outcome kept; the seller reads only its own,
agents read and move every seller's."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from support_testkit import World, world

from conveyor_contracts.inbound import (
    InboundDiscrepancyFound,
    InboundShipmentAnnounced,
    InboundShipmentReconciled,
)
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import from_example
from support.domain.cases import CaseStatus, TransitionError
from support.domain.inbound_cases import inbound_case_id
from support.entrypoints.http import support_router
from support.settings import SupportSettings
from support.usecases.change_inbound_case_status import change_inbound_case_status
from support.usecases.open_case_on_inbound_discrepancy import open_case_on_inbound_discrepancy

ASN, OTHER_ASN = "asn_01JA0INBOUND1", "asn_01JA0INBOUND2"
SELLER, OTHER_SELLER = "sel_01J9ZA4S7K2L", "sel_01J9ZB5T8M3N"


def discrepancy(kind: str, asn: str = ASN, seller: str = SELLER, **fields: Any) -> Any:
    return from_example(InboundDiscrepancyFound, asn_id=asn, seller_id=seller, kind=kind, **fields)


async def told(w: World, *events: Any) -> None:
    for event in events:
        await open_case_on_inbound_discrepancy(event, w.support)


async def test_the_first_discrepancy_opens_the_case_and_each_further_one_is_noted_once() -> None:
    w = world(first_response_hours=4)
    short = discrepancy("short", sku="TEE-BLK-M", expected=480, received=470)
    late = discrepancy("late", sku=None, expected=None, received=None)
    await told(w, from_example(InboundShipmentAnnounced, asn_id=ASN, seller_id=SELLER))
    assert w.inbound.cases == {}  # announcing is no discrepancy
    await told(w, short, short, late, late)  # each told twice: a redelivery
    case = w.inbound.cases[inbound_case_id(ASN)]
    assert (case.asn_id, case.seller_id, case.status) == (ASN, SELLER, CaseStatus.OPEN)
    assert [(d.kind, d.sku, d.expected, d.received) for d in case.discrepancies] == [
        ("short", "TEE-BLK-M", 480, 470),
        ("late", None, None, None),
    ]
    assert case.respond_by == w.clock.now + w.support.first_response


async def test_a_reconciliation_is_kept_on_the_case_and_opens_none_without_a_discrepancy() -> None:
    w = world()
    await told(
        w,
        discrepancy("over", sku="TEE-BLK-M", expected=480, received=500),
        from_example(InboundShipmentReconciled, asn_id=ASN, seller_id=SELLER, outcome="over"),
        from_example(
            InboundShipmentReconciled, asn_id=OTHER_ASN, seller_id=SELLER, outcome="complete"
        ),
    )
    assert [c.outcome for c in w.inbound.cases.values()] == ["over"]


async def test_a_new_discrepancy_reopens_an_answered_case_and_a_known_one_does_not() -> None:
    w = world(first_response_hours=4)
    over = discrepancy("over", sku="TEE-BLK-M", expected=480, received=500)
    await told(w, over)
    case_id = inbound_case_id(ASN)
    resolved = await change_inbound_case_status(case_id, CaseStatus.RESOLVED, "answered", w.support)
    assert (resolved.status, resolved.resolution, resolved.respond_by) == (
        CaseStatus.RESOLVED,
        "answered",
        None,
    )
    await told(w, over)  # the same, again: nothing new for a person
    assert w.inbound.cases[case_id].status is CaseStatus.RESOLVED
    w.clock.advance(hours=1)
    await told(w, discrepancy("unexpected_sku", sku="MUG-WHT", expected=0, received=12))
    reopened = w.inbound.cases[case_id]
    assert (reopened.status, reopened.resolution) == (CaseStatus.OPEN, None)
    assert reopened.respond_by == w.clock.now + w.support.first_response
    closed = await change_inbound_case_status(case_id, CaseStatus.CLOSED, None, w.support)
    assert closed.resolution == "no_action"
    with pytest.raises(TransitionError):
        await change_inbound_case_status(case_id, CaseStatus.WAITING, None, w.support)


async def test_an_unanswered_case_is_escalated_once_and_an_answer_stops_it() -> None:
    w = world(first_response_hours=4)
    await told(w, discrepancy("late", sku=None, expected=None, received=None))
    case_id = inbound_case_id(ASN)
    opened = w.inbound.cases[case_id]
    assert opened.due_at == opened.respond_by
    assert opened.escalated_if_due(w.clock.advance(hours=3)) == opened  # not yet due
    escalated = opened.escalated_if_due(w.clock.advance(hours=1))
    assert (escalated.escalated, escalated.escalated_at, escalated.due_at) == (
        True,
        w.clock.now,
        None,
    )
    assert escalated.escalated_if_due(w.clock.advance(hours=1)) == escalated  # once
    answered = await change_inbound_case_status(case_id, CaseStatus.WAITING, None, w.support)
    assert answered.due_at is None  # an agent moved it: nothing to escalate


@pytest.fixture
async def api(token_issuer: Issuer) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    w = world()
    await told(
        w,
        discrepancy("late", sku=None, expected=None, received=None),
        discrepancy("late", asn=OTHER_ASN, seller=OTHER_SELLER, sku=None),
    )
    settings = SupportSettings(jwks_path=token_issuer.jwks_path)
    app = build_api(settings, [support_router(w.support, settings)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://support") as client:
        yield client, w


async def test_a_seller_reads_only_its_own_inbound_cases(
    api: tuple[httpx.AsyncClient, World], token_issuer: Issuer
) -> None:
    client, _ = api
    seller = token_issuer.bearer("seller", SELLER)
    own = await client.get(f"/sellers/{SELLER}/inbound-cases", headers=seller)
    assert own.status_code == 200
    assert [(c["asn_id"], c["discrepancies"][0]["kind"]) for c in own.json()] == [(ASN, "late")]
    one = await client.get(f"/inbound-cases/{inbound_case_id(ASN)}", headers=seller)
    assert one.status_code == 200
    foreign = await client.get(f"/inbound-cases/{inbound_case_id(OTHER_ASN)}", headers=seller)
    unknown = await client.get("/inbound-cases/case_nosuchcase", headers=seller)
    others = await client.get(f"/sellers/{OTHER_SELLER}/inbound-cases", headers=seller)
    assert foreign.status_code == unknown.status_code == others.status_code == 404
    assert foreign.json() == unknown.json()  # nothing tells another seller's case exists
    moved = await client.post(
        f"/inbound-cases/{inbound_case_id(ASN)}/status", json={"status": "closed"}, headers=seller
    )
    assert moved.status_code == 403  # only agents move cases
    every = await client.get("/inbound-cases", headers=seller)
    assert every.status_code == 403


async def test_an_agent_reads_every_sellers_cases_and_moves_them(
    api: tuple[httpx.AsyncClient, World], token_issuer: Issuer
) -> None:
    client, _ = api
    agent = token_issuer.bearer("agent", "agt_1")
    every = await client.get("/inbound-cases", headers=agent)
    assert {c["seller_id"] for c in every.json()} == {SELLER, OTHER_SELLER}
    path = f"/inbound-cases/{inbound_case_id(OTHER_ASN)}/status"
    waiting = await client.post(path, json={"status": "waiting"}, headers=agent)
    assert waiting.status_code == 200
    assert waiting.json()["status"] == "waiting"
    resolved = await client.post(
        path, json={"status": "resolved", "resolution": "answered"}, headers=agent
    )
    assert resolved.json()["resolution"] == "answered"
    back = await client.post(path, json={"status": "waiting"}, headers=agent)
    assert back.status_code == 409
    assert back.headers["content-type"].startswith("application/problem+json")
    buyer = token_issuer.bearer("buyer", "byr_ada001")
    assert (await client.get(f"/sellers/{SELLER}/inbound-cases", headers=buyer)).status_code == 403
