"""The support API of the running app, over ASGI, with tokens signed by the session's issuer:
an order's timeline as the topics filled it, read by its buyer and agents and by nobody else."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from support_component import Callers, SupportComponent, event, new_order_id

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping import (
    ShipmentBooked,
    ShipmentConfirmed,
    ShipmentInTransit,
    ShipmentLost,
)
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.support import CaseOpened, CaseResolved
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
)
from conveyor_runtime.tokens import Issuer

BUYER = "byr_ada00001"


async def order_in_transit(support: SupportComponent) -> dict[str, Any]:
    """An order's events from placed to in transit, published out of time order on purpose:
    the timeline sorts them by cause and time, not by arrival."""
    order_id = new_order_id()
    start = datetime.now(UTC) - timedelta(hours=1)

    def at(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).isoformat()

    placed = event(OrderPlaced, order_id, buyer_id=BUYER, occurred_at=at(0))
    tracked = {"tracking_number": "SP99887766US"}
    booked = event(ShipmentBooked, order_id, occurred_at=at(3))
    events: list[tuple[TopicSpec[Any], Any]] = [
        (CHECKOUT_ORDERS, placed),
        (INVENTORY_RESERVATIONS, event(StockReserved, order_id, occurred_at=at(2))),
        (ORDER_LIFECYCLE, event(OrderAccepted, order_id, occurred_at=at(1))),
        (SHIPPING_SHIPMENTS, booked),
        (SHIPPING_SHIPMENTS, event(ShipmentInTransit, order_id, occurred_at=at(5))),
        (SHIPPING_SHIPMENTS, event(ShipmentConfirmed, order_id, occurred_at=at(4), **tracked)),
    ]
    for spec, message in events:
        await support.publish(spec, message, key=order_id)
    return {"order_id": order_id, "booked": booked}


async def test_an_orders_events_are_read_on_its_timeline_by_its_buyer_and_by_no_other(
    support: SupportComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    order = await order_in_transit(support)
    who = Callers.of(token_issuer, BUYER)
    path = f"/orders/{order['order_id']}/timeline"

    own = await api.get(path, headers=who.buyer)
    by_agent = await api.get(path, headers=who.agent)
    foreign = await api.get(path, headers=who.stranger)
    unknown = await api.get(f"/orders/{new_order_id()}/timeline", headers=who.stranger)
    by_operator = await api.get(path, headers=who.operator)
    anonymous = await api.get(path)

    assert own.status_code == 200
    assert [entry["event_type"] for entry in own.json()["entries"]] == [
        "OrderPlaced",
        "OrderAccepted",
        "StockReserved",
        "ShipmentBooked",
        "ShipmentConfirmed",
        "ShipmentInTransit",
    ]
    assert BUYER not in own.text  # the buyer id decides who reads; it is never shown
    assert by_agent.json() == own.json()
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()  # a stranger learns not even that the order exists
    assert (by_operator.status_code, anonymous.status_code) == (403, 401)


async def test_a_buyers_where_is_my_order_case_is_answered_from_the_timeline_at_once(
    support: SupportComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    order = await order_in_transit(support)
    who = Callers.of(token_issuer, BUYER)
    order_id = order["order_id"]

    where = await api.get(f"/orders/{order_id}/where", headers=who.buyer)
    asked = await api.post(
        "/cases", json={"order_id": order_id, "kind": "where_is_my_order"}, headers=who.buyer
    )
    opened = await support.next_event(SUPPORT_CASES)
    resolved = await support.next_event(SUPPORT_CASES)
    refused = await api.post(
        "/cases", json={"order_id": order_id, "kind": "where_is_my_order"}, headers=who.stranger
    )

    booked = order["booked"]
    assert where.status_code == 200
    assert (where.json()["status"], where.json()["tracking_number"]) == (
        "in_transit",
        "SP99887766US",
    )
    assert where.json()["carrier_code"] == booked.carrier_code
    assert asked.status_code == 201
    case = asked.json()
    assert (case["status"], case["resolution"], case["opened_by"]) == (
        "resolved",
        "answered",
        "buyer",
    )
    assert case["answer"]["tracking_number"] == "SP99887766US"
    assert isinstance(opened, CaseOpened)
    assert isinstance(resolved, CaseResolved)
    assert (opened.case_id, resolved.case_id) == (case["case_id"], case["case_id"])
    assert (resolved.resolution, resolved.causation_id) == ("answered", opened.event_id)
    assert refused.status_code == 404
    await support.settled()
    assert support.waiting(SUPPORT_CASES) == 0


async def test_probes_stay_open_and_readiness_checks_the_broker_alone(
    support: SupportComponent, api: httpx.AsyncClient
) -> None:
    order_id = new_order_id()
    await support.publish(SHIPPING_SHIPMENTS, event(ShipmentLost, order_id), key=order_id)
    await support.settled()

    live, ready, metrics = [await api.get(path) for path in ("/healthz", "/readyz", "/metrics")]

    assert (live.status_code, ready.status_code, metrics.status_code) == (200, 200, 200)
    assert ready.json() == {"kafka": "ok"}  # timelines and cases in memory: no database
    assert 'conveyor_cases_opened_total{kind="lost_parcel"} 1.0' in metrics.text
