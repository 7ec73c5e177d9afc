"""Journeys of one order through support's topics: a lost parcel opens a case, a parcel forecast
late opens the order's one lateness case, a delivered order's return is authorised, inspected and
refunded, and bad input is parked with its reason."""

import uuid
from typing import Any

import httpx
import pytest
from support_component import ORDER_TOPICS, Callers, SupportComponent, event, new_order_id

from conveyor_contracts.shipping import (
    DeliverySlaBreached,
    ShipmentBooked,
    ShipmentDelayed,
    ShipmentLost,
)
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.support import CaseOpened, CaseResolved, RefundRequested, ReturnAuthorised
from conveyor_contracts.topics import (
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
    WAREHOUSE_RETURNS,
)
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.tokens import Issuer
from support.usecases.open_case_on_exception import system_case_id


async def test_a_lost_shipment_opens_one_case_in_the_trace_of_the_shipments_message(
    support: SupportComponent,
) -> None:
    placed = await support.place()
    trace_id = uuid.uuid4().hex
    traced = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    lost = event(ShipmentLost, placed.order_id)
    lost_again = event(ShipmentLost, placed.order_id)  # the carrier said so twice

    for message in (lost, lost, lost_again):  # the first one redelivered
        await support.publish(SHIPPING_SHIPMENTS, message, key=placed.order_id, headers=traced)

    received = await support.next(SUPPORT_CASES)
    opened = SUPPORT_CASES.adapter.validate_json(received.body)
    assert isinstance(opened, CaseOpened)
    assert (opened.case_id, opened.kind, opened.opened_by) == (
        system_case_id(placed.order_id, "ShipmentLost"),
        "lost_parcel",
        "system",
    )
    assert (opened.causation_id, opened.shipment_id) == (lost.event_id, lost.shipment_id)
    assert received.headers["traceparent"].split("-")[1] == trace_id
    await support.settled()
    assert support.waiting(SUPPORT_CASES) == 0  # one case for one reason, however often told
    # Support reads its own case back onto the timeline, after its cause; the parcel's second
    # report happened before the case was opened.
    types = await support.timeline_types(placed.order_id)
    assert types == ["OrderPlaced", "ShipmentLost", "ShipmentLost", "CaseOpened"]


async def test_a_parcel_forecast_late_opens_one_sla_breach_case_for_its_sellers(
    support: SupportComponent,
) -> None:
    order_id = new_order_id()
    lines = [{"sku": "TEE-BLK-M", "quantity": 2, "seller_id": "sel_Shirts001"}]
    booked = event(ShipmentBooked, order_id, lines=lines)
    delayed = event(ShipmentDelayed, order_id, shipment_id=booked.shipment_id)
    other_parcel = event(ShipmentDelayed, order_id, shipment_id="shp_01J9Z4B6T2W9")
    breached = event(DeliverySlaBreached, order_id, shipment_id=booked.shipment_id)

    for message in (booked, delayed, delayed, other_parcel, breached):
        await support.publish(SHIPPING_SHIPMENTS, message, key=order_id)

    opened = await support.next_event(SUPPORT_CASES)
    assert isinstance(opened, CaseOpened)
    assert (opened.case_id, opened.kind, opened.opened_by) == (
        system_case_id(order_id, "DeliverySlaBreached"),
        "sla_breach",
        "system",
    )
    assert (opened.causation_id, opened.shipment_id) == (delayed.event_id, booked.shipment_id)
    assert (opened.seller_ids, opened.summary) == (("sel_Shirts001",), None)
    await support.settled()
    assert support.waiting(SUPPORT_CASES) == 0  # one lateness, one case: the breach joins it
    types = await support.timeline_types(order_id)
    assert types.count("ShipmentDelayed") == 2  # the redelivery is one entry, the other parcel's


async def test_a_delivered_orders_return_is_authorised_inspected_and_refunded_once(
    support: SupportComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    placed = await support.place()  # US, 2 x TEE-BLK-M at 1999
    await support.deliver(placed)
    who = Callers.of(token_issuer, placed.buyer_id)
    asked = await api.post(
        "/cases", json={"order_id": placed.order_id, "kind": "return_request"}, headers=who.buyer
    )
    case_id = asked.json()["case_id"]
    await support.next_event(SUPPORT_CASES)  # the buyer's CaseOpened
    lines = [{"sku": "TEE-BLK-M", "quantity": 2, "reason": "changed_mind"}]
    authorised = await api.post(
        f"/cases/{case_id}/return", json={"lines": lines}, headers=who.buyer
    )
    rma_id = authorised.json()["rma"]["rma_id"]
    authorisation = await support.next_event(SUPPORT_CASES)
    inspected = event(
        ReturnInspected,
        placed.order_id,
        rma_id=rma_id,
        lines=[{"sku": "TEE-BLK-M", "quantity": 2, "condition": "resellable"}],
    )
    for _ in range(2):  # the inspection redelivered
        await support.publish(WAREHOUSE_RETURNS, inspected, key=placed.order_id)
    refund = await support.next_event(SUPPORT_REFUNDS)
    resolved = await support.next_event(SUPPORT_CASES)

    assert (asked.status_code, authorised.status_code) == (201, 200)
    assert isinstance(authorisation, ReturnAuthorised)
    assert (authorisation.case_id, authorisation.rma_id) == (case_id, rma_id)
    assert (authorisation.collect_from, authorisation.sender) == (placed.ship_to, placed.recipient)
    assert authorisation.return_to == "WH-US-NJ1"
    assert isinstance(refund, RefundRequested)
    assert (refund.case_id, refund.rma_id, refund.reason) == (case_id, rma_id, "returned")
    assert (refund.amount.amount_minor, refund.amount.currency) == (2 * 1999, "USD")
    assert refund.causation_id == inspected.event_id
    assert isinstance(resolved, CaseResolved)
    assert (resolved.resolution, resolved.causation_id) == ("refunded", refund.event_id)
    await support.settled()
    assert (support.waiting(SUPPORT_REFUNDS), support.waiting(SUPPORT_CASES)) == (0, 0)
    case = (await api.get(f"/cases/{case_id}", headers=who.buyer)).json()
    assert (case["status"], case["resolution"], case["settlement"]["amount_minor"]) == (
        "resolved",
        "refunded",
        2 * 1999,
    )
    types = await support.timeline_types(placed.order_id)
    assert types[-4:] == ["ReturnAuthorised", "ReturnInspected", "RefundRequested", "CaseResolved"]


@pytest.mark.parametrize("spec", ORDER_TOPICS, ids=[spec.name for spec in ORDER_TOPICS])
async def test_bytes_that_are_no_event_are_parked_with_their_reason_and_the_order_goes_on(
    support: SupportComponent, spec: TopicSpec[Any]
) -> None:
    order_id = new_order_id()
    valid = event(spec.events[0], order_id)
    bad = b'{"event_type": "' + spec.events[0].__name__.encode() + b'"'

    await support.publish(spec, bad, key=order_id, headers={"a": "b"})
    parked = await support.next(spec, dead_letter=True)
    await support.publish(spec, valid, key=order_id)  # the key's next message, handled as ever

    assert parked.body == bad  # the original bytes, to replay
    assert parked.key == order_id
    assert parked.headers["x-dlq-reason"].startswith("ValidationError: ")
    assert parked.headers["x-dlq-original-topic"] == support.topic(spec)
    assert parked.headers["x-dlq-consumer-group"] == support.settings.topic("support")
    assert parked.headers["a"] == "b"  # the original headers travel with it
    assert support.consumed(spec, "dead_lettered") == 1
    assert await support.timeline_types(order_id) == [valid.event_type]
