"""Bad input on every topic inventory consumes is parked with its reason; the consumer goes on."""

import asyncio
import uuid

from inventory_fixtures import INVENTORY_TOPICS, event, running

from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    WAREHOUSE_RECEIPTS,
    WAREHOUSE_RETURNS,
)
from conveyor_testkit import CreateTopics, Servers

CONSUMED = (
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    WAREHOUSE_RECEIPTS,
    WAREHOUSE_RETURNS,
    SUPPORT_CASES,
)


async def test_malformed_messages_are_dead_lettered_with_a_reason_and_valid_ones_processed(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    listen = (INVENTORY_RESERVATIONS.name, *(spec.dead_letter for spec in CONSUMED))
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    async with running(servers, kafka, namespace, listen) as harness:
        for spec in CONSUMED:
            await harness.publish(spec.name, b"\x00\xff not json at all", key="k")
        # A valid order afterwards on the same topic: the consumer did not stop at the bad one.
        await harness.publish(
            ORDER_LIFECYCLE.name,
            event(OrderAccepted, order_id=order_id, correlation_id=order_id),
            key=order_id,
        )
        parked = {
            spec.dead_letter: await asyncio.wait_for(
                harness.received[spec.dead_letter].get(), timeout=60
            )
            for spec in CONSUMED
        }
        outcome = await asyncio.wait_for(
            harness.received[INVENTORY_RESERVATIONS.name].get(), timeout=60
        )

    for message in parked.values():
        assert message.body == b"\x00\xff not json at all"
        assert "ValidationError" in message.headers["x-dlq-reason"]
    # No stock for the example SKU in this namespace: the order is reported short.
    assert INVENTORY_RESERVATIONS.adapter.validate_json(outcome.body).order_id == order_id
