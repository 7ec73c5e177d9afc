"""Return eligibility on in-memory adapters: the window per market, delivery first, only what
was ordered and not yet returned, one RMA per case however often it is asked, and buyers only on
return-request cases."""

from datetime import timedelta

import pytest
from support_aftersales_testkit import AGENT, BUYER, WAREHOUSE, delivered, ordered, placed, tee
from support_testkit import ORDER, event, world

from conveyor_contracts.shipping import ShipmentLost
from conveyor_contracts.support import ReturnLine
from support.domain.aftersales import NotEligibleError, rma_id_of
from support.domain.cases import CaseStatus
from support.usecases.authorise_return import authorise_return
from support.usecases.keep_aftersales_facts import keep_aftersales_facts
from support.usecases.open_case_on_exception import open_case_on_exception
from support.usecases.open_case_on_request import open_case_on_request


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
