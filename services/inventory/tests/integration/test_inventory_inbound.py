"""A seller's inbound shipment through the real servers: announced over HTTP and told on
``inventory.inbound.v1``, received through ``warehouse.receipts.v1`` into stock and reconciled
complete, both read back on the seller's routes; one received short ended by the warehouse's
receiving done (an operator's POST), its short told and its deadline cleared in FerretDB."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from inventory_fixtures import INVENTORY_TOPICS, event, running
from pymongo import AsyncMongoClient

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.inbound import (
    InboundDiscrepancyFound,
    InboundShipmentAnnounced,
    InboundShipmentReconciled,
)
from conveyor_contracts.topics import INVENTORY_INBOUND, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import CreateTopics, Servers, wait_for


async def test_an_announced_shipment_received_whole_is_reconciled_complete(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    seller = f"sel_{uuid.uuid4().hex[:12]}"
    sku = f"INB-{uuid.uuid4().hex[:8].upper()}"
    arrival = BusinessCalendar().local_date("US", datetime.now(UTC)) + timedelta(days=3)
    async with running(servers, kafka, namespace, (INVENTORY_INBOUND.name,)) as harness:
        assert harness.issuer is not None
        token = harness.issuer.bearer("seller", seller)
        transport = httpx.ASGITransport(app=harness.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as api:
            posted = await api.post(
                f"/sellers/{seller}/inbound-shipments",
                json={
                    "reference": "PO-INTEGRATION-1",
                    "warehouse_id": "WH-US-NJ1",
                    "expected_arrival": arrival.isoformat(),
                    "lines": [{"sku": sku, "units": 12}],
                },
                headers=token,
            )
            assert posted.status_code == 201, posted.text
            asn_id = posted.json()["asn_id"]
            receipt = event(
                GoodsReceived, sku=sku, warehouse_id="WH-US-NJ1", quantity=12,
                receipt_ref="GRN-INTEGRATION-1", seller_id=seller, asn_id=asn_id,
            )  # fmt: skip
            await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)
            queue = harness.received[INVENTORY_INBOUND.name]
            told = [
                INVENTORY_INBOUND.adapter.validate_json(
                    (await asyncio.wait_for(queue.get(), timeout=60)).body
                )
                for _ in range(2)
            ]
            stock = await api.get(f"/sellers/{seller}/stock", headers=token)
            shipments = await api.get(f"/sellers/{seller}/inbound-shipments", headers=token)

    announced, reconciled = told
    assert isinstance(announced, InboundShipmentAnnounced)
    assert isinstance(reconciled, InboundShipmentReconciled)
    assert (announced.asn_id, reconciled.asn_id, reconciled.outcome) == (asn_id, asn_id, "complete")
    assert stock.json()["stock"] == [
        {"sku": sku, "warehouse_id": "WH-US-NJ1", "on_hand": 12, "reserved": 0, "available": 12}
    ]
    [shipment] = shipments.json()["inbound_shipments"]
    assert (shipment["status"], shipment["outcome"]) == ("reconciled", "complete")


async def test_a_shipment_received_short_is_ended_by_the_warehouse_s_receiving_done(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    seller = f"sel_{uuid.uuid4().hex[:12]}"
    sku = f"INB-{uuid.uuid4().hex[:8].upper()}"
    arrival = BusinessCalendar().local_date("US", datetime.now(UTC)) + timedelta(days=3)
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url)
    try:
        async with running(servers, kafka, namespace, (INVENTORY_INBOUND.name,)) as harness:
            assert harness.issuer is not None
            token = harness.issuer.bearer("seller", seller)
            transport = httpx.ASGITransport(app=harness.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as api:
                posted = await api.post(
                    f"/sellers/{seller}/inbound-shipments",
                    json={
                        "reference": "PO-INTEGRATION-2",
                        "warehouse_id": "WH-US-NJ1",
                        "expected_arrival": arrival.isoformat(),
                        "lines": [{"sku": sku, "units": 12}],
                    },
                    headers=token,
                )
                assert posted.status_code == 201, posted.text
                asn_id = posted.json()["asn_id"]
                receipt = event(
                    GoodsReceived, sku=sku, warehouse_id="WH-US-NJ1", quantity=9,
                    receipt_ref="GRN-INTEGRATION-2", seller_id=seller, asn_id=asn_id,
                )  # fmt: skip
                await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)

                async def reconciled_receipt() -> bool:
                    read = await api.get(f"/sellers/{seller}/inbound-shipments", headers=token)
                    [shipment] = read.json()["inbound_shipments"]
                    return bool(shipment["lines"][0]["received"])

                await wait_for(reconciled_receipt, within=60)
                ended = await api.post(
                    f"/inbound-shipments/{asn_id}/receiving-done", headers=harness.operator
                )
                queue = harness.received[INVENTORY_INBOUND.name]
                told = [
                    INVENTORY_INBOUND.adapter.validate_json(
                        (await asyncio.wait_for(queue.get(), timeout=60)).body
                    )
                    for _ in range(3)
                ]
            collection = mongo[harness.settings.mongo_database]["inbound_shipments"]
            stored = await collection.find_one({"_id": asn_id})
    finally:
        await mongo.close()

    assert ended.status_code == 200, ended.text
    assert (ended.json()["status"], ended.json()["outcome"]) == ("reconciled", "short")
    announced, short, reconciled = told
    assert isinstance(announced, InboundShipmentAnnounced)
    assert isinstance(short, InboundDiscrepancyFound)
    assert isinstance(reconciled, InboundShipmentReconciled)
    assert (short.asn_id, short.kind, short.sku, short.expected, short.received) == (
        asn_id, "short", sku, 12, 9,
    )  # fmt: skip
    assert (reconciled.asn_id, reconciled.outcome) == (asn_id, "short")
    assert stored is not None
    assert (stored["status"], stored["outcome"], stored["due_at"]) == ("reconciled", "short", None)
