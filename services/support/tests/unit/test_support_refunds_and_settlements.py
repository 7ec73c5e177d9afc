"""Refunds and settlements on in-memory adapters: an inspected return refunded once at the unit
prices, an agent's reship or refund settling a case once, and what may not be settled."""

import pytest
from support_aftersales_testkit import BUYER, ordered, placed, tee
from support_testkit import ORDER, event, world

from conveyor_contracts.shipping import ShipmentLost
from conveyor_contracts.support import ReturnLine
from conveyor_contracts.values import StockLine
from conveyor_contracts.warehouse import ReturnInspected
from support.domain.aftersales import NotEligibleError, rma_id_of
from support.domain.cases import CaseKind, CaseStatus
from support.usecases.authorise_return import authorise_return
from support.usecases.change_case_status import change_case_status
from support.usecases.keep_aftersales_facts import keep_aftersales_facts
from support.usecases.open_case_on_exception import open_case_on_exception
from support.usecases.refund_on_inspection import refund_on_inspection
from support.usecases.settle_case import settle_case


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
