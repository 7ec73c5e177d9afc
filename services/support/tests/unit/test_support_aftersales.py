"""After-sales on in-memory adapters: return eligibility (window per market, delivery, lines),
refund amounts after inspection, reship/refund settlements, idempotency and who may ask."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from support_bearers import Who
from support_testkit import ORDER, World, event, world

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.shipping import ShipmentDelivered, ShipmentLost
from conveyor_contracts.support import ReturnLine
from conveyor_contracts.values import StockLine
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from support.domain.access import Principal
from support.domain.aftersales import NotEligibleError, rma_id_of
from support.domain.cases import CaseKind, CaseStatus
from support.entrypoints.http import support_router
from support.settings import SupportSettings
from support.usecases.authorise_return import authorise_return
from support.usecases.change_case_status import change_case_status
from support.usecases.keep_aftersales_facts import keep_aftersales_facts
from support.usecases.open_case_on_exception import open_case_on_exception
from support.usecases.open_case_on_request import open_case_on_request
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event
from support.usecases.refund_on_inspection import refund_on_inspection
from support.usecases.settle_case import settle_case

AGENT = Principal("agent", "agt_1")
BUYER = Principal("buyer", "byr_7KQ2M9")
CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP"}
WAREHOUSE = {"US": "WH-US-NJ1", "CA": "WH-CA-ON1", "GB": "WH-GB-MAN1"}


def placed(market: str = "US") -> OrderPlaced:
    currency = CURRENCY[market]

    def money(minor: int) -> dict[str, Any]:
        return {"amount_minor": minor, "currency": currency}

    return event(
        OrderPlaced,
        market=market,
        currency=currency,
        lines=[
            {"sku": "TEE-BLK-M", "quantity": 2, "unit_price": money(1999)},
            {"sku": "MUG-WHT-01", "quantity": 1, "unit_price": money(1250)},
        ],
        shipping_fee=money(499),
        order_total=money(2 * 1999 + 1250 + 499),
    )


def delivered(at: datetime, direction: str = "outbound") -> ShipmentDelivered:
    return event(ShipmentDelivered, direction=direction, scanned_at=at.isoformat())


def tee(quantity: int = 1, reason: str = "changed_mind") -> ReturnLine:
    return ReturnLine(sku="TEE-BLK-M", quantity=quantity, reason=reason)  # type: ignore[arg-type]


async def ordered(
    w: World, market: str = "US", kind: CaseKind = "return_request", *, days_ago: float | None = 3
) -> str:
    """Order placed (and delivered ``days_ago``), with a case of ``kind``; its case id."""
    order = placed(market)
    timeline = await record_timeline_on_order_event(order, "t", None, w.timelines)
    await keep_aftersales_facts(order, w.support)
    if days_ago is not None:
        await keep_aftersales_facts(delivered(w.clock.now - timedelta(days=days_ago)), w.support)
    case = await open_case_on_request(timeline, kind, BUYER, w.support)  # type: ignore[arg-type]
    return case.case_id


@pytest.mark.parametrize(
    ("market", "window"), [("US", 30), ("CA", 30), ("GB", 14)], ids=["US", "CA", "GB"]
)
async def test_a_return_is_authorised_within_the_markets_window_only(
    market: str, window: int
) -> None:
    inside = world()
    case_id = await ordered(inside, market, days_ago=window - 0.5)
    case = await authorise_return(case_id, (tee(),), BUYER, inside.support)
    assert case.status is CaseStatus.WAITING
    assert case.rma is not None
    assert (case.rma.rma_id, case.rma.return_to) == (rma_id_of(case_id), WAREHOUSE[market])
    [_, authorised] = inside.published()
    order = placed(market)
    assert authorised.event_type == "ReturnAuthorised"
    assert (authorised.case_id, authorised.rma_id) == (case_id, rma_id_of(case_id))
    assert authorised.collect_from == order.ship_to
    assert authorised.sender == order.recipient
    assert authorised.return_to == WAREHOUSE[market]
    assert authorised.expires_on == (inside.clock.now + timedelta(days=14)).date()
    assert list(authorised.lines) == [tee()]

    outside = world()
    case_id = await ordered(outside, market, days_ago=window + 0.5)
    with pytest.raises(NotEligibleError, match=f"{window} days"):
        await authorise_return(case_id, (tee(),), BUYER, outside.support)
    assert outside.types() == ["CaseOpened"]


async def test_no_return_before_delivery_or_of_what_was_not_ordered() -> None:
    w = world()
    case_id = await ordered(w, days_ago=None)
    await keep_aftersales_facts(delivered(w.clock.now, direction="return"), w.support)
    with pytest.raises(NotEligibleError, match="not been delivered"):
        await authorise_return(case_id, (tee(),), AGENT, w.support)
    await keep_aftersales_facts(delivered(w.clock.now - timedelta(days=1)), w.support)
    unknown = ReturnLine(sku="HAT-RED-L", quantity=1, reason="other")
    with pytest.raises(NotEligibleError, match="HAT-RED-L is not in the order"):
        await authorise_return(case_id, (unknown,), AGENT, w.support)
    with pytest.raises(NotEligibleError, match="only 2 of TEE-BLK-M"):
        await authorise_return(case_id, (tee(2), tee(1, "damaged")), AGENT, w.support)
    assert w.types() == ["CaseOpened"]
    # A second case of the same order may return only what is left.
    await authorise_return(case_id, (tee(2),), AGENT, w.support)
    timeline = await w.timelines.get(ORDER)
    assert timeline is not None
    other = await open_case_on_request(timeline, "return_request", BUYER, w.support)
    with pytest.raises(NotEligibleError, match="only 0 of TEE-BLK-M"):
        await authorise_return(other.case_id, (tee(),), AGENT, w.support)


async def test_no_return_before_the_order_is_known() -> None:
    w = world()
    await keep_aftersales_facts(delivered(w.clock.now), w.support)  # delivery seen first
    await open_case_on_exception(event(ShipmentLost), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    with pytest.raises(NotEligibleError, match="details"):
        await authorise_return(cases.cases[0].case_id, (tee(),), AGENT, w.support)
    await keep_aftersales_facts(placed(), w.support)  # the order arrives later
    cases = await w.cases.get(ORDER)
    assert cases is not None
    assert cases.purchase is not None
    assert cases.delivered_at is not None


async def test_the_same_return_asked_twice_is_one_rma_and_one_event() -> None:
    w = world()
    case_id = await ordered(w)
    first = await authorise_return(case_id, (tee(1),), BUYER, w.support)
    w.clock.advance(days=60)  # even after the window: the decision stands
    again = await authorise_return(case_id, (tee(1),), AGENT, w.support)
    assert again.rma == first.rma
    assert w.types() == ["CaseOpened", "ReturnAuthorised"]
    with pytest.raises(NotEligibleError, match="already has return"):
        await authorise_return(case_id, (tee(2),), AGENT, w.support)


async def test_buyers_ask_for_returns_only_on_return_request_cases() -> None:
    w = world()
    case_id = await ordered(w, kind="damaged")
    with pytest.raises(PermissionError):
        await authorise_return(case_id, (tee(),), BUYER, w.support)
    assert (await authorise_return(case_id, (tee(),), AGENT, w.support)).rma is not None


async def test_an_inspected_return_is_refunded_once_at_the_unit_prices() -> None:
    w = world()
    case_id = await ordered(w)
    mug = ReturnLine(sku="MUG-WHT-01", quantity=1, reason="damaged")
    await authorise_return(case_id, (tee(2), mug), BUYER, w.support)
    inspected = event(
        ReturnInspected,
        rma_id=rma_id_of(case_id),
        lines=[
            {"sku": "TEE-BLK-M", "quantity": 2, "condition": "resellable"},
            {"sku": "MUG-WHT-01", "quantity": 1, "condition": "damaged"},
        ],
    )
    for again in (inspected, inspected, event(ReturnInspected, rma_id=rma_id_of(case_id))):
        await refund_on_inspection(again, w.support)
    [refund] = w.refunds()
    assert (refund.amount.amount_minor, refund.amount.currency) == (2 * 1999 + 1250, "USD")
    assert (refund.reason, refund.case_id, refund.rma_id) == (
        "returned",
        case_id,
        rma_id_of(case_id),
    )
    assert refund.causation_id == inspected.event_id
    assert w.types() == ["CaseOpened", "ReturnAuthorised", "CaseResolved"]
    assert w.published()[-1].resolution == "refunded"
    cases = await w.cases.get(ORDER)
    assert cases is not None
    case = cases.case(case_id)
    assert case is not None
    assert (case.status, case.resolution) == (CaseStatus.RESOLVED, "refunded")
    assert case.settlement is not None
    assert case.settlement.refund_id == refund.refund_id


async def test_an_inspection_of_an_unknown_rma_or_a_returned_parcel_does_nothing() -> None:
    w = world()
    await ordered(w)
    await refund_on_inspection(event(ReturnInspected, rma_id="rma_unknown0001"), w.support)
    await refund_on_inspection(event(ReturnInspected, rma_id=None), w.support)
    assert w.refunds() == []
    assert w.types() == ["CaseOpened"]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("lost_parcel", "lost"), ("damaged", "damaged"), ("missing", "missing_items")],
)
async def test_an_agent_reships_once(kind: CaseKind, reason: str) -> None:
    w = world()
    case_id = await ordered(w, kind=kind)
    lines = (StockLine(sku="TEE-BLK-M", quantity=2),)
    case = await settle_case(case_id, "reship", w.support, lines=lines)
    again = await settle_case(case_id, "reship", w.support, lines=lines)
    assert again == case
    assert (case.status, case.resolution) == (CaseStatus.RESOLVED, "reshipped")
    _, reship, resolved = w.published()
    assert (reship.event_type, reship.reason, reship.lines) == ("ReshipmentApproved", reason, lines)
    assert (resolved.resolution, resolved.causation_id) == ("reshipped", reship.event_id)
    assert w.refunds() == []
    with pytest.raises(NotEligibleError, match="already settled"):
        await settle_case(case_id, "refund", w.support)


async def test_an_agent_refunds_the_lines_total_or_a_given_amount() -> None:
    w = world()
    await open_case_on_exception(event(ShipmentLost), w.support)
    await keep_aftersales_facts(placed("GB"), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    lost = cases.cases[0].case_id
    case = await settle_case(lost, "refund", w.support)
    await settle_case(lost, "refund", w.support)
    [refund] = w.refunds()
    assert (refund.amount.amount_minor, refund.amount.currency) == (2 * 1999 + 1250, "GBP")
    assert (refund.reason, refund.rma_id, refund.case_id) == ("lost", None, lost)
    assert case.settlement is not None
    assert case.settlement.refund_id == refund.refund_id
    assert w.published()[-1].resolution == "refunded"

    other = world()
    case_id = await ordered(other, kind="damaged")
    await settle_case(case_id, "refund", other.support, amount_minor=500)
    assert [r.amount.amount_minor for r in other.refunds()] == [500]
    assert other.refunds()[0].reason == "damaged"
    with pytest.raises(NotEligibleError, match="more than the order's total"):
        await settle_case(
            await ordered(other, kind="missing"), "refund", other.support, amount_minor=999_999
        )


async def test_settling_refuses_other_kinds_resolved_cases_and_foreign_lines() -> None:
    w = world()
    returning = await ordered(w, kind="return_request")
    with pytest.raises(NotEligibleError, match="return_request case"):
        await settle_case(returning, "refund", w.support)
    damaged = await ordered(w, kind="damaged")
    hat = (StockLine(sku="HAT-RED-L", quantity=1),)
    with pytest.raises(NotEligibleError, match="not in the order"):
        await settle_case(damaged, "reship", w.support, lines=hat)
    missing = await ordered(w, kind="missing")
    await change_case_status(missing, CaseStatus.RESOLVED, "declined", w.support)
    with pytest.raises(NotEligibleError, match="already resolved"):
        await settle_case(missing, "refund", w.support)
    assert w.refunds() == []
    assert "ReshipmentApproved" not in w.types()


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
