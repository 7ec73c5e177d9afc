"""Cases: opened automatically once per (order, reason), opened on request, moved by agents,
escalated once when nobody answers in time."""

from datetime import timedelta

import pytest
from support_testkit import ORDER, event, world

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockShortage
from conveyor_contracts.shipping import (
    DeliveryAttemptFailed,
    DeliverySlaBreached,
    ShipmentBooked,
    ShipmentConfirmed,
    ShipmentExceptionRaised,
    ShipmentInTransit,
    ShipmentLost,
)
from conveyor_runtime.outbox import derived_event_id
from support.domain.access import Principal
from support.domain.cases import CaseStatus, TransitionError
from support.usecases.change_case_status import change_case_status
from support.usecases.escalate_cases_on_timer import escalate_cases_on_timer
from support.usecases.open_case_on_exception import open_case_on_exception
from support.usecases.open_case_on_request import open_case_on_request
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

AGENT = Principal("agent", "agt_1")
BUYER = Principal("buyer", "byr_7KQ2M9")


async def test_a_redelivered_cause_opens_one_case_with_an_id_derived_from_it() -> None:
    w = world()
    lost = event(ShipmentLost)
    for _ in range(3):
        await open_case_on_exception(lost, w.support)
    [opened] = w.published()
    assert opened.event_type == "CaseOpened"
    assert (opened.kind, opened.opened_by) == ("lost_parcel", "system")
    assert opened.event_id == derived_event_id(lost.event_id, "CaseOpened")
    assert opened.causation_id == lost.event_id
    assert opened.shipment_id == lost.shipment_id
    cases = await w.cases.get(ORDER)
    assert cases is not None
    assert len(cases.cases) == 1


async def test_repeated_exceptions_of_one_order_open_one_case_per_reason() -> None:
    w = world()
    for code in ("damaged", "delayed", "damaged"):
        await open_case_on_exception(event(ShipmentExceptionRaised, code=code), w.support)
    await open_case_on_exception(event(DeliverySlaBreached), w.support)
    await open_case_on_exception(event(ShipmentExceptionRaised, order_id="ord_other123"), w.support)
    kinds = sorted((e.order_id, e.kind) for e in w.published())
    assert kinds == [
        (ORDER, "delivery_exception"),
        (ORDER, "sla_breach"),
        ("ord_other123", "delivery_exception"),
    ]


async def test_a_failed_attempt_opens_a_case_only_when_the_carrier_gives_up() -> None:
    w = world()
    await open_case_on_exception(event(DeliveryAttemptFailed, will_retry=True), w.support)
    assert w.types() == []
    await open_case_on_exception(event(DeliveryAttemptFailed, will_retry=False), w.support)
    assert [(e.kind, e.opened_by) for e in w.published()] == [("delivery_exception", "system")]


async def test_a_shortage_opens_an_other_case() -> None:
    w = world()
    await open_case_on_exception(event(StockShortage), w.support)
    assert [e.kind for e in w.published()] == ["other"]


async def test_an_unanswered_case_is_escalated_once_after_the_deadline() -> None:
    w = world(first_response_hours=4)
    await open_case_on_exception(event(ShipmentLost), w.support)
    await escalate_cases_on_timer(ORDER, w.clock.advance(hours=3), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    assert not cases.cases[0].escalated
    first = w.clock.advance(hours=1)
    await escalate_cases_on_timer(ORDER, first, w.support)
    await escalate_cases_on_timer(ORDER, w.clock.advance(hours=5), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    assert (cases.cases[0].escalated, cases.cases[0].escalated_at) == (True, first)
    assert w.types() == ["CaseOpened"]  # internal state only: no contract event


async def test_a_case_answered_in_time_is_not_escalated() -> None:
    w = world()
    await open_case_on_exception(event(ShipmentLost), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    case_id = cases.cases[0].case_id
    await change_case_status(case_id, CaseStatus.WAITING, None, w.support)
    await escalate_cases_on_timer(ORDER, w.clock.advance(hours=9), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    assert (cases.cases[0].status, cases.cases[0].escalated) == (CaseStatus.WAITING, False)


async def test_agents_move_cases_and_resolving_tells_the_mesh() -> None:
    w = world()
    await open_case_on_exception(event(ShipmentLost), w.support)
    cases = await w.cases.get(ORDER)
    assert cases is not None
    case_id = cases.cases[0].case_id
    await change_case_status(case_id, CaseStatus.WAITING, None, w.support)
    resolved = await change_case_status(case_id, CaseStatus.RESOLVED, "reshipped", w.support)
    assert (resolved.status, resolved.resolution) == (CaseStatus.RESOLVED, "reshipped")
    await change_case_status(case_id, CaseStatus.RESOLVED, "reshipped", w.support)  # no-op
    closed = await change_case_status(case_id, CaseStatus.CLOSED, None, w.support)
    assert closed.status is CaseStatus.CLOSED
    assert w.types() == ["CaseOpened", "CaseResolved"]
    assert w.published()[1].resolution == "reshipped"
    with pytest.raises(TransitionError):
        await change_case_status(case_id, CaseStatus.WAITING, None, w.support)


async def test_where_is_my_order_is_answered_from_the_timeline_and_resolved() -> None:
    w = world()
    at = [w.clock.now + timedelta(minutes=n) for n in range(4)]
    placed = event(OrderPlaced, at=at[0])
    booked = event(ShipmentBooked, carrier_code="swiftpost", at=at[1])
    confirmed = event(
        ShipmentConfirmed, carrier_code="swiftpost", tracking_number="SP123456789US", at=at[2]
    )
    moving = event(ShipmentInTransit, at=at[3])
    for e in (moving, placed, confirmed, booked):  # arrival order does not matter
        timeline = await record_timeline_on_order_event(e, "topic", None, w.timelines)
    case = await open_case_on_request(timeline, "where_is_my_order", BUYER, w.support)
    assert case.status is CaseStatus.RESOLVED
    assert case.answer == {
        "status": "in_transit",
        "carrier_code": "swiftpost",
        "tracking_number": "SP123456789US",
        "deliver_by": booked.deliver_by.isoformat(),
    }
    opened, resolved = w.published()
    assert (opened.kind, opened.opened_by) == ("where_is_my_order", "buyer")
    assert (resolved.resolution, resolved.causation_id) == ("answered", opened.event_id)


async def test_a_buyer_case_waits_for_an_agent() -> None:
    w = world()
    timeline = await record_timeline_on_order_event(event(OrderPlaced), "t", None, w.timelines)
    case = await open_case_on_request(timeline, "damaged", BUYER, w.support, summary="crushed")
    assert (case.status, case.respond_by) == (CaseStatus.OPEN, w.clock.now.replace(hour=16))
    [opened] = w.published()
    assert (opened.kind, opened.opened_by, opened.summary) == ("damaged", "buyer", "crushed")
