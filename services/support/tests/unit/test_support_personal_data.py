"""Support's personal data has a lifetime: the purchase's contacts and the cases' texts are
erased after the retention once the order is over for support, and at once on the buyer's
request (with a confirmation, and the timeline forgetting the buyer); the timeline, the cases
and their statuses still read."""

import uuid
from datetime import timedelta

import pytest
from support_testkit import ORDER, World, event, world

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.privacy import REDACTED, holds_personal_data
from conveyor_contracts.shipping import ShipmentDelivered
from conveyor_contracts.support import ReturnLine, SupportPersonalDataErased
from support.domain.access import Principal
from support.domain.aftersales import NotEligibleError
from support.domain.cases import CaseStatus, OrderCases
from support.domain.privacy import forget_at, forgotten, holds_personal, settled_at
from support.usecases.authorise_return import authorise_return
from support.usecases.change_case_status import change_case_status
from support.usecases.escalate_cases_on_timer import escalate_cases_on_timer
from support.usecases.forget_personal_data import forget_personal_data_on_erasure_request
from support.usecases.keep_aftersales_facts import keep_aftersales_facts
from support.usecases.open_case_on_request import open_case_on_request
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

AGENT = Principal("agent", "agt_1")
BUYER = Principal("buyer", "byr_7KQ2M9")
TEE = ReturnLine(sku="TEE-BLK-M", quantity=1, reason="damaged")


def erasure_request() -> PersonalDataErasureRequested:
    return event(PersonalDataErasureRequested, event_id=str(uuid.uuid4()))


async def delivered_with_case(w: World) -> str:
    """The example order placed, delivered an hour ago, with the buyer's return request (with a
    text of theirs); its case id."""
    placed = event(OrderPlaced, at=w.clock.now - timedelta(days=2))
    timeline = await record_timeline_on_order_event(placed, "checkout.orders.v1", None, w.timelines)
    await keep_aftersales_facts(placed, w.support)
    delivered = event(ShipmentDelivered, scanned_at=(w.clock.now - timedelta(hours=1)).isoformat())
    await record_timeline_on_order_event(delivered, "shipping.shipments.v1", None, w.timelines)
    await keep_aftersales_facts(delivered, w.support)
    case = await open_case_on_request(
        timeline, "return_request", BUYER, w.support, summary="Ada here, call me on +14155550123"
    )
    return case.case_id


async def cases_of(w: World) -> OrderCases:
    cases = await w.cases.get(ORDER)
    assert cases is not None
    return cases


def confirmations(w: World) -> list[SupportPersonalDataErased]:
    return [e for e in w.published() if isinstance(e, SupportPersonalDataErased)]


async def test_forgetting_keeps_cases_amounts_and_lines_and_drops_contacts_and_texts() -> None:
    w = world()
    await delivered_with_case(w)
    before = await cases_of(w)
    after = forgotten(before)

    assert holds_personal(before)
    assert not holds_personal(after)
    assert after.purchase is not None
    assert before.purchase is not None
    assert after.purchase.recipient.name == REDACTED
    assert not holds_personal_data(after.purchase.ship_to)
    assert (after.purchase.lines, after.purchase.order_total_minor) == (
        before.purchase.lines,
        before.purchase.order_total_minor,
    )
    [case] = after.cases
    assert case.summary is None
    assert (case.kind, case.status, case.opened_at) == (
        before.cases[0].kind,
        before.cases[0].status,
        before.cases[0].opened_at,
    )


async def test_the_retention_starts_when_the_last_case_is_over_and_erases_silently() -> None:
    w = world(retention_days=30)
    case_id = await delivered_with_case(w)
    assert settled_at(await cases_of(w)) is None  # a case is open: its text may be needed

    closed_at = w.clock.advance(hours=2)
    await change_case_status(case_id, CaseStatus.CLOSED, "answered", w.support)
    assert forget_at(await cases_of(w), w.support.retention) == closed_at + timedelta(days=30)

    await escalate_cases_on_timer(ORDER, closed_at + timedelta(days=30, seconds=-1), w.support)
    assert holds_personal(await cases_of(w))
    await escalate_cases_on_timer(ORDER, closed_at + timedelta(days=30), w.support)
    assert not holds_personal(await cases_of(w))
    assert confirmations(w) == []  # nobody asked
    timeline = await w.timelines.get(ORDER)
    assert timeline is not None
    assert timeline.buyer_id == BUYER.subject  # the buyer still reads their old order


async def test_an_erasure_request_erases_at_once_confirms_once_and_forgets_the_buyer() -> None:
    w = world()
    await delivered_with_case(w)
    request = erasure_request()
    for _ in range(2):  # the second is a redelivery
        await record_timeline_on_order_event(request, "checkout.erasures.v1", None, w.timelines)
        await forget_personal_data_on_erasure_request(request, w.support)

    assert not holds_personal(await cases_of(w))
    [confirmed] = confirmations(w)
    assert confirmed.erasure_id == request.erasure_id
    assert confirmed.causation_id == request.event_id
    timeline = await w.timelines.get(ORDER)
    assert timeline is not None
    assert timeline.buyer_id is None
    types = [entry.event_type for entry in timeline.entries]
    assert types == ["OrderPlaced", "ShipmentDelivered", "PersonalDataErasureRequested"]
    assert (await cases_of(w)).cases[0].status is CaseStatus.OPEN  # the case itself goes on


async def test_a_repeated_request_is_confirmed_again() -> None:
    w = world()
    await delivered_with_case(w)
    await forget_personal_data_on_erasure_request(erasure_request(), w.support)
    await forget_personal_data_on_erasure_request(erasure_request(), w.support)
    first, second = confirmations(w)
    assert first.event_id != second.event_id


async def test_a_return_asked_after_an_erasure_is_refused_and_nothing_published_holds_data() -> (
    None
):
    w = world()
    case_id = await delivered_with_case(w)
    await forget_personal_data_on_erasure_request(erasure_request(), w.support)
    with pytest.raises(NotEligibleError, match="erased"):
        await authorise_return(case_id, (TEE,), AGENT, w.support)
    assert not any(holds_personal_data(e) for e in w.published()[1:])  # after the CaseOpened


async def test_a_request_before_the_order_reached_support_keeps_nothing_of_the_buyer() -> None:
    w = world()
    request = erasure_request()
    await record_timeline_on_order_event(request, "checkout.erasures.v1", None, w.timelines)
    await forget_personal_data_on_erasure_request(request, w.support)
    assert len(confirmations(w)) == 1

    placed = event(OrderPlaced)  # late, or read again by a rebuild
    await record_timeline_on_order_event(placed, "checkout.orders.v1", None, w.timelines)
    await keep_aftersales_facts(placed, w.support)
    assert not holds_personal(await cases_of(w))
    timeline = await w.timelines.get(ORDER)
    assert timeline is not None
    assert timeline.buyer_id is None


async def test_the_retention_counts_from_when_support_heard_not_from_the_senders_clock() -> None:
    w = world(retention_days=90)
    old = event(OrderPlaced, at=w.clock.now - timedelta(days=200))  # a checkout's clock far off
    await keep_aftersales_facts(old, w.support)
    cases = await cases_of(w)
    assert forget_at(cases, w.support.retention) == w.clock.now + timedelta(days=90)
    await escalate_cases_on_timer(ORDER, w.clock.now, w.support)
    assert holds_personal(await cases_of(w))
