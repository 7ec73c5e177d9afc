"""After-sales through the real Kafka and database: a delivered order's return is authorised
with the order's address and the market's returns warehouse, an inspected return is refunded
exactly once however often the inspection is delivered, and an agent's reship of a lost parcel
reaches the cases topic."""

from datetime import UTC, datetime, timedelta
from typing import Any

from faststream import AckPolicy
from support_fixtures import (
    ADA_ID,
    Running,
    client_broker,
    new_order_id,
    running_support,
    support_settings,
)

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.shipping import ShipmentDelivered, ShipmentLost
from conveyor_contracts.support import REFUND_EVENTS, SUPPORT_CASE_EVENTS, RefundRequested
from conveyor_contracts.warehouse import ReturnInspected, ReturnReceived
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.mongo import build_mongo_client
from conveyor_runtime.outbox import OUTBOX_FIELD
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import CreateTopics, Servers, from_example, wait_for
from support.entrypoints.kafka import CONSUMED_TOPICS
from support.settings import SupportSettings
from support.usecases.open_case_on_exception import system_case_id


class Heard:
    """What the test's own consumers read from support's two output topics, in order."""

    def __init__(self) -> None:
        self.cases: list[Any] = []
        self.refunds: list[Any] = []

    def of(self, order_id: str, event_type: str) -> list[Any]:
        return [
            e
            for e in self.cases + self.refunds
            if e.order_id == order_id and e.event_type == event_type
        ]


def listening(servers: Servers, settings: SupportSettings, namespace: str, heard: Heard) -> Any:
    client = client_broker(servers, settings)
    options: dict[str, Any] = {
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.ACK,
        "decoder": raw_body,
    }

    @client.subscriber(settings.topic("support.cases.v1"), group_id=f"{namespace}c", **options)
    async def on_case(body: bytes) -> None:
        heard.cases.append(SUPPORT_CASE_EVENTS.validate_json(body))

    @client.subscriber(settings.topic("support.refunds.v1"), group_id=f"{namespace}r", **options)
    async def on_refund(body: bytes) -> None:
        heard.refunds.append(REFUND_EVENTS.validate_json(body))

    return client


async def cases_document(servers: Servers, settings: SupportSettings, order_id: str) -> Any:
    mongo = build_mongo_client(servers.mongo_url, build_tracer_provider("test", None))
    try:
        return await mongo[settings.mongo_database]["cases"].find_one({"_id": order_id})
    finally:
        await mongo.close()


async def order_known(servers: Servers, running: Running, order_id: str, delivered: bool) -> None:
    async def kept() -> bool:
        document = await cases_document(servers, running.settings, order_id)
        return bool(document and document.get("purchase") and (
            document.get("delivered_at") or not delivered
        ))  # fmt: skip

    await wait_for(kept, within=60)


async def test_a_delivered_orders_return_is_authorised_and_refunded_once(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*CONSUMED_TOPICS)
    settings = support_settings(servers, kafka, namespace)
    heard = Heard()
    order_id = new_order_id()
    ids = {"order_id": order_id, "correlation_id": order_id}
    placed = from_example(OrderPlaced, buyer_id=ADA_ID, **ids)  # US, 2 x TEE-BLK-M at 1999
    scanned = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    async with running_support(
        servers, settings, listening(servers, settings, namespace, heard)
    ) as running:
        await running.publish("checkout.orders.v1", placed, key=order_id)
        delivered = from_example(ShipmentDelivered, direction="outbound", scanned_at=scanned, **ids)
        await running.publish("shipping.shipments.v1", delivered, key=order_id)
        await order_known(servers, running, order_id, delivered=True)

        opened = await running.http.post(
            "/cases", json={"order_id": order_id, "kind": "return_request"}, headers=running.ada
        )
        case_id = opened.json()["case_id"]
        body = {"lines": [{"sku": "TEE-BLK-M", "quantity": 2, "reason": "changed_mind"}]}
        asked = await running.http.post(f"/cases/{case_id}/return", json=body, headers=running.ada)
        again = await running.http.post(
            f"/cases/{case_id}/return", json=body, headers=running.agent
        )
        assert asked.status_code == again.status_code == 200, asked.text
        rma_id = asked.json()["rma"]["rma_id"]
        assert again.json()["rma"]["rma_id"] == rma_id

        async def authorised() -> list[Any]:
            return heard.of(order_id, "ReturnAuthorised")

        [authorisation] = await wait_for(authorised, within=60)  # type: ignore[misc]

        inspected = from_example(
            ReturnInspected,
            rma_id=rma_id,
            lines=[{"sku": "TEE-BLK-M", "quantity": 2, "condition": "resellable"}],
            **ids,
        )
        received_after = from_example(ReturnReceived, rma_id=rma_id, **ids)
        for message in (inspected, inspected, received_after):  # the inspection redelivered
            await running.publish("warehouse.returns.v1", message, key=order_id)

        async def both_inspections_handled() -> bool:
            # One partition per order: the later message recorded means both were handled.
            types = [e["event_type"] for e in await running.entries(order_id)]
            document = await cases_document(servers, settings, order_id)
            return "ReturnReceived" in types and not document[OUTBOX_FIELD]

        await wait_for(both_inspections_handled, within=60)
        # A marker behind whatever support published on the order's refunds partition.
        marker = from_example(RefundRequested, refund_id="rfd_marker000001", **ids)
        await running.publish("support.refunds.v1", marker, key=order_id)

        async def marker_heard() -> bool:
            return any(e.refund_id == marker.refund_id for e in heard.refunds)

        await wait_for(marker_heard, within=60)
        case = (await running.http.get(f"/cases/{case_id}", headers=running.ada)).json()

    assert authorisation.case_id == case_id
    assert authorisation.collect_from == placed.ship_to
    assert authorisation.sender == placed.recipient
    assert authorisation.return_to == "WH-US-NJ1"
    assert [(line.sku, line.quantity) for line in authorisation.lines] == [("TEE-BLK-M", 2)]
    assert len(heard.of(order_id, "ReturnAuthorised")) == 1
    refunds = [e for e in heard.refunds if e.refund_id != marker.refund_id]
    assert len(refunds) == 1
    [refund] = refunds
    assert (refund.rma_id, refund.case_id, refund.reason) == (rma_id, case_id, "returned")
    assert (refund.amount.amount_minor, refund.amount.currency) == (2 * 1999, "USD")
    assert [e.resolution for e in heard.of(order_id, "CaseResolved")] == ["refunded"]
    assert (case["status"], case["resolution"]) == ("resolved", "refunded")
    assert placed.ship_to.city not in str(case)


async def test_an_agents_reship_of_a_lost_parcel_is_published(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*CONSUMED_TOPICS)
    settings = support_settings(servers, kafka, namespace)
    heard = Heard()
    order_id = new_order_id()
    ids = {"order_id": order_id, "correlation_id": order_id}
    async with running_support(
        servers, settings, listening(servers, settings, namespace, heard)
    ) as running:
        await running.publish("checkout.orders.v1", from_example(OrderPlaced, **ids), key=order_id)
        await running.publish(
            "shipping.shipments.v1", from_example(ShipmentLost, **ids), key=order_id
        )
        await order_known(servers, running, order_id, delivered=False)
        case_id = system_case_id(order_id, "ShipmentLost")

        async def case_opened() -> bool:
            response = await running.http.get(f"/cases/{case_id}", headers=running.agent)
            return response.status_code == 200

        await wait_for(case_opened, within=60)
        body = {"action": "reship", "lines": [{"sku": "TEE-BLK-M", "quantity": 2}]}
        settled = await running.http.post(
            f"/cases/{case_id}/resolution", json=body, headers=running.agent
        )
        assert settled.status_code == 200, settled.text

        async def reshipped() -> list[Any]:
            resolved = heard.of(order_id, "CaseResolved")
            return heard.of(order_id, "ReshipmentApproved") if resolved else []

        [reship] = await wait_for(reshipped, within=60)  # type: ignore[misc]

    assert (reship.case_id, reship.reason) == (case_id, "lost")
    assert [(line.sku, line.quantity) for line in reship.lines] == [("TEE-BLK-M", 2)]
    assert [e.resolution for e in heard.of(order_id, "CaseResolved")] == ["reshipped"]
    assert settled.json()["resolution"] == "reshipped"
