"""Sellers and delivery promises on the real broker and database, the four services together:
an order's goods are its sellers' from receipt to case, its promise is set once at acceptance,
a parcel forecast past the promise tells the buyer ``delayed`` and opens one case, and an
inbound shipment that does not arrive as announced becomes a case the seller reads."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh

from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import Servers, from_example, wait_for

SELLER = "sel_Sneakers001"
CARRIER = "libertyparcel"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    async with running_mesh(servers, kafka) as running:
        yield running


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def test_a_parcel_forecast_past_its_promise_tells_the_buyer_delayed_and_opens_one_case(
    mesh: Mesh,
) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 1, seller_id=SELLER)
    order = await mesh.place([(item, 1)], seller_id=SELLER)
    accepted = await mesh.until_event(ORDER_LIFECYCLE.name, order.order_id, "OrderAccepted")
    promise = accepted.promised_delivery
    assert promise is not None
    assert accepted.dispatch_by is not None
    assert accepted.dispatch_by > accepted.occurred_at  # handling days ahead, never behind

    booking = await mesh.request(CARRIER, order.order_id)
    booked = await mesh.until_event(SHIPPING_SHIPMENTS.name, order.order_id, "ShipmentBooked")
    assert [line.seller_id for line in booked.lines] == [SELLER]
    await mesh.accept(CARRIER, booking)
    await mesh.report(CARRIER, mesh.scan(booking, "picked_up", datetime.now(UTC)))
    # A scan on the promise's last day, still in transit: the parcel cannot arrive in time.
    stuck = datetime.combine(promise.latest, time(15), UTC)
    await mesh.report(CARRIER, mesh.scan(booking, "in_transit", stuck))

    delayed = await mesh.until_event(SHIPPING_SHIPMENTS.name, order.order_id, "ShipmentDelayed")
    assert delayed.shipment_id == booking.shipment_id
    assert delayed.promised_latest == promise.latest
    assert delayed.forecast_delivery > promise.latest

    async def told_delayed() -> Any:
        told = [e for e in mesh.events(ORDER_STATUS.name, order.order_id) if e.status == "delayed"]
        return told[0] if told else None

    told = await wait_for(told_delayed, within=30, interval=0.2)
    assert told.promised_delivery == promise  # the promise itself never moves
    assert str(delayed.forecast_delivery) in told.reason
    case = await mesh.until_event(SUPPORT_CASES.name, order.order_id, "CaseOpened")
    assert (case.kind, case.opened_by) == ("sla_breach", "system")
    assert case.shipment_id == booking.shipment_id
    assert case.seller_ids == (SELLER,)

    # Delivered after the promise: the breach is the same lateness, so no second case.
    late = datetime.combine(promise.latest + timedelta(days=3), time(15), UTC)
    await mesh.report(CARRIER, mesh.scan(booking, "delivered", late))
    await mesh.until_event(SHIPPING_SHIPMENTS.name, order.order_id, "DeliverySlaBreached")
    await mesh.until_status(order.order_id, "delivered")
    assert len(mesh.events(SHIPPING_SHIPMENTS.name, order.order_id, "ShipmentDelayed")) == 1
    assert len(mesh.events(SUPPORT_CASES.name, order.order_id, "CaseOpened")) == 1

    async def told_delivered() -> bool:
        return mesh.events(ORDER_STATUS.name, order.order_id)[-1].status == "delivered"

    await wait_for(told_delivered, within=30, interval=0.2)
    statuses = [e.status for e in mesh.events(ORDER_STATUS.name, order.order_id)]
    assert statuses.count("delayed") == 1, statuses


async def test_the_sellers_goods_are_theirs_from_receipt_to_reservation_and_stock(
    mesh: Mesh,
) -> None:
    item = sku()
    await mesh.receive_goods(item, "WH-US-NJ1", 2, seller_id=SELLER)
    order = await mesh.place([(item, 1)], seller_id=SELLER)

    reserved = await mesh.until_event(INVENTORY_RESERVATIONS.name, order.order_id, "StockReserved")
    assert [line.seller_id for a in reserved.allocations for line in a.lines] == [SELLER]
    levels = await mesh.get("inventory", f"/stock/{item}")
    assert {level["seller_id"] for level in levels["warehouses"]} == {SELLER}


async def test_an_inbound_shipment_that_arrives_otherwise_than_announced_is_a_case_for_its_seller(
    mesh: Mesh,
) -> None:
    announced_sku, stray_sku = sku(), sku()
    seller = mesh.tokens.mint("seller", SELLER)
    announcement = await mesh.call(
        "inventory",
        "POST",
        f"/sellers/{SELLER}/inbound-shipments",
        token=seller,
        reference=f"PO-{uuid.uuid4().hex[:10].upper()}",
        warehouse_id="WH-US-NJ1",
        expected_arrival=(datetime.now(UTC).date() + timedelta(days=7)).isoformat(),
        lines=[{"sku": announced_sku, "units": 10}],
    )
    assert announcement.status_code == 201, announcement.text
    asn_id = announcement.json()["asn_id"]
    # The warehouse puts away a SKU the seller never announced on this shipment.
    receipt = from_example(
        GoodsReceived,
        sku=stray_sku,
        warehouse_id="WH-US-NJ1",
        quantity=3,
        asn_id=asn_id,
        seller_id=SELLER,
        receipt_ref=f"GRN-{uuid.uuid4().hex[:12].upper()}",
    )
    await mesh.publish(WAREHOUSE_RECEIPTS.name, receipt, stray_sku)

    async def sellers_case() -> Any:
        cases = await mesh.get("support", f"/sellers/{SELLER}/inbound-cases", token=seller)
        return next((c for c in cases or () if c["asn_id"] == asn_id), None)

    case = await wait_for(sellers_case, within=60, interval=0.3)
    assert case["status"] == "open"
    assert [(d["kind"], d["sku"], d["received"]) for d in case["discrepancies"]] == [
        ("unexpected_sku", stray_sku, 3)
    ]
    other_seller = mesh.tokens.mint("seller", "sel_SomeoneElse1")
    assert (
        await mesh.get("support", f"/inbound-cases/{case['case_id']}", token=other_seller) is None
    )
    agent = await mesh.get("support", f"/inbound-cases/{case['case_id']}", token=mesh.agent_token)
    assert agent["seller_id"] == SELLER
