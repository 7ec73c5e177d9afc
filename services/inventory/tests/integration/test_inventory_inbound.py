"""A seller's inbound shipment through the real servers: announced over HTTP and told on
``inventory.inbound.v1``, received through ``warehouse.receipts.v1`` into stock and reconciled
complete, both read back on the seller's routes."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from inventory_fixtures import INVENTORY_TOPICS, event, running

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.inbound import InboundShipmentAnnounced, InboundShipmentReconciled
from conveyor_contracts.topics import INVENTORY_INBOUND, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import CreateTopics, Servers


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
