"""Bad input on every topic support consumes is parked with its reason; the consumers carry on
and valid events still reach the timeline."""

import asyncio
from typing import Any

from support_fixtures import client_broker, new_order_id, running_support, support_settings

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping import ShipmentDelivered
from conveyor_contracts.support import CaseResolved, RefundRequested
from conveyor_contracts.warehouse import ReturnReceived
from conveyor_testkit import CreateTopics, Servers, collect, from_example, wait_for
from support.entrypoints.kafka import CONSUMED_TOPICS, TIMELINE_TOPICS

VALID: dict[str, Any] = {
    "checkout.orders.v1": OrderPlaced,
    "checkout.erasures.v1": PersonalDataErasureRequested,
    "orders.lifecycle.v1": OrderAccepted,
    "inventory.reservations.v1": StockReserved,
    "shipping.shipments.v1": ShipmentDelivered,
    "warehouse.returns.v1": ReturnReceived,
    "support.cases.v1": CaseResolved,
    "support.refunds.v1": RefundRequested,
}


async def test_bad_messages_on_every_consumed_topic_are_dead_lettered_and_valid_ones_recorded(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*CONSUMED_TOPICS)
    settings = support_settings(servers, kafka, namespace)
    bad = {b"\x00\xff not json at all", b'{"event_type": "OrderPlaced", "order_id": "x"}'}
    order_id = new_order_id()
    ids = {"order_id": order_id, "correlation_id": order_id}
    client = client_broker(servers, settings)

    parked = collect(
        client,
        (settings.topic(spec.dead_letter) for spec in TIMELINE_TOPICS),
        group=f"{namespace}dlq-reader",
    )

    async with running_support(servers, settings, client) as running:
        for spec in TIMELINE_TOPICS:  # the inbound topic's: the component tests
            for body in bad:
                await running.publish(spec.name, body)
            await running.publish(spec.name, from_example(VALID[spec.name], **ids), key=order_id)

        async def every_valid_one_recorded() -> bool:
            entries = await running.entries(order_id)
            return {e["topic"] for e in entries} == set(VALID)

        await wait_for(every_valid_one_recorded, within=90)
        messages = [
            await asyncio.wait_for(parked.get(), timeout=90)
            for _ in range(len(bad) * len(TIMELINE_TOPICS))
        ]

    by_topic: dict[str, set[bytes]] = {}
    for message in messages:
        headers = message.headers
        assert headers["x-dlq-reason"].startswith("ValidationError")
        assert headers["x-dlq-consumer-group"] == settings.topic("support")
        by_topic.setdefault(str(headers["x-dlq-original-topic"]), set()).add(message.body)
    assert by_topic == {settings.topic(spec.name): bad for spec in TIMELINE_TOPICS}
