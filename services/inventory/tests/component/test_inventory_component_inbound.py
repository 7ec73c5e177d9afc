"""Sellers' inbound shipments in the running app: announced over HTTP and told on the inbound
topic once, reconciled against the receipts that name them (stock counts what was received),
ended by the inbound timer when the grace runs out."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from inbound_component import announce, body, in_days, received
from inventory_component import SELLER, SKU, WAREHOUSE, InventoryComponent

from conveyor_contracts.inbound import (
    InboundDiscrepancyFound,
    InboundShipmentAnnounced,
    InboundShipmentReconciled,
)
from conveyor_contracts.topics import INVENTORY_INBOUND, WAREHOUSE_RECEIPTS
from conveyor_runtime.outlet import Cause
from conveyor_runtime.tokens import Issuer
from inventory.domain.inbound import announce as announced_asn
from inventory.domain.stock import StockLevel
from inventory.domain.warehouses import Warehouse


@pytest.fixture
async def api(inventory: InventoryComponent) -> AsyncIterator[httpx.AsyncClient]:
    async with inventory.http_api() as client:
        yield client


async def test_an_announcement_is_told_on_the_inbound_topic_once_however_often_it_is_posted(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    announcement = body((SKU, 480), ("MUG-WHT-OS", 20))

    created = await announce(api, token_issuer, announcement)
    retried = await announce(api, token_issuer, announcement)
    reused = await announce(api, token_issuer, announcement | {"lines": [{"sku": SKU, "units": 1}]})

    assert (created.status_code, retried.status_code, reused.status_code) == (201, 200, 409)
    assert created.json() == retried.json()
    asn_id = created.json()["asn_id"]
    told = await inventory.taken(INVENTORY_INBOUND)
    assert [type(event) for event in told] == [InboundShipmentAnnounced]
    [event] = told
    assert isinstance(event, InboundShipmentAnnounced)
    assert (event.asn_id, event.seller_id, event.warehouse_id) == (asn_id, SELLER, WAREHOUSE)
    assert event.expected_arrival.isoformat() == announcement["expected_arrival"]
    assert [(line.sku, line.units) for line in event.lines] == [(SKU, 480), ("MUG-WHT-OS", 20)]
    assert await inventory.deps.stock.levels(SKU) == {}  # announced units are no stock


async def test_receipts_against_an_asn_tell_what_differs_and_end_it_complete(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    arrival = in_days(1)
    announcement = body((SKU, 10), ("MUG-WHT-OS", 5), arrival=arrival)
    asn_id = (await announce(api, token_issuer, announcement)).json()["asn_id"]
    other = (await announce(api, token_issuer, body((SKU, 4)))).json()["asn_id"]
    late = datetime.combine(arrival + timedelta(days=2), datetime.min.time(), UTC)

    first = received(asn_id, 10)
    await inventory.publish(WAREHOUSE_RECEIPTS, first)
    await inventory.publish(WAREHOUSE_RECEIPTS, first)  # redelivered: nothing twice
    await inventory.publish(WAREHOUSE_RECEIPTS, received(asn_id, 5, sku="MUG-WHT-OS", at=late))
    await inventory.publish(WAREHOUSE_RECEIPTS, received(other, 6))  # over: stays open
    await inventory.publish(WAREHOUSE_RECEIPTS, received(other, 1, sku="HAT-RED-L"))

    told = [e for e in await inventory.taken(INVENTORY_INBOUND) if e.asn_id in (asn_id, other)]

    def summary(asn: str) -> list[tuple[str, str | None]]:  # in order per ASN, its key
        return [
            (e.event_type, getattr(e, "kind", None) or getattr(e, "outcome", None))
            for e in told
            if e.asn_id == asn
        ]

    assert summary(asn_id) == [
        ("InboundShipmentAnnounced", None),
        ("InboundDiscrepancyFound", "late"),
        ("InboundShipmentReconciled", "complete"),
    ]
    assert summary(other) == [
        ("InboundShipmentAnnounced", None),
        ("InboundDiscrepancyFound", "over"),
        ("InboundDiscrepancyFound", "unexpected_sku"),
    ]
    [reconciled] = [e for e in told if isinstance(e, InboundShipmentReconciled)]
    assert [(line.sku, line.expected, line.received) for line in reconciled.lines] == [
        (SKU, 10, 10),
        ("MUG-WHT-OS", 5, 5),
    ]
    assert await inventory.deps.stock.levels(SKU) == {WAREHOUSE: StockLevel(on_hand=16)}
    assert await inventory.deps.stock.levels("HAT-RED-L") == {WAREHOUSE: StockLevel(on_hand=1)}


async def test_the_inbound_timer_ends_a_shipment_still_short_when_its_grace_runs_out(
    inventory: InventoryComponent,
) -> None:
    # Stored as the announcement stores it, with a deadline a moment away instead of days.
    now = datetime.now(UTC)
    asn, events = announced_asn(
        "asn_SHORTSOON1",
        SELLER,
        Warehouse(WAREHOUSE, "US", 1),
        in_days(0),
        ((SKU, 10),),
        "PO-SOON",
        now=now,
        closes_at=now + timedelta(seconds=0.2),
    )
    await inventory.deps.inbound.shipments.add(asn, events, Cause(None, now, asn.asn_id))
    await inventory.publish(WAREHOUSE_RECEIPTS, received(asn.asn_id, 7))

    told = [await inventory.next_event(INVENTORY_INBOUND) for _ in range(3)]

    announced, short, reconciled = told
    assert isinstance(announced, InboundShipmentAnnounced)
    assert isinstance(short, InboundDiscrepancyFound)
    assert isinstance(reconciled, InboundShipmentReconciled)
    assert (short.kind, short.sku, short.expected, short.received) == ("short", SKU, 10, 7)
    assert (reconciled.outcome, reconciled.correlation_id) == ("short", asn.asn_id)
    await inventory.settled()
    assert inventory.waiting(INVENTORY_INBOUND) == 0
    stored = await inventory.deps.inbound.shipments.get(asn.asn_id)
    assert stored is not None
    assert (stored.status, stored.due_at) == ("reconciled", None)
    assert inventory.deps.inbound.timers.due(asn.asn_id) is None
