"""Bad input on every topic orders consumes is parked with its reason; the consumer carries on."""

import asyncio
import uuid

from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from orders_fixtures import ORDERS_TOPICS, order_placed, orders_settings

from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
)
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import CreateTopics, Servers, collect
from orders.app import create_app

CONSUMED = (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
)


async def test_malformed_and_schema_violating_messages_are_dead_lettered_and_valid_ones_processed(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*ORDERS_TOPICS)
    settings = orders_settings(servers, kafka, namespace)
    app = create_app(settings)
    client = build_broker(
        kafka,
        "dlq-test",
        build_tracer_provider("dlq-test", None),
        servers.kafka_login.credentials(),
    )
    accepted: asyncio.Queue[bytes] = asyncio.Queue()

    parked = collect(
        client,
        (settings.topic(spec.dead_letter) for spec in CONSUMED),
        group=f"{namespace}dlq-reader",
    )

    @client.subscriber(
        settings.topic(ORDER_LIFECYCLE.name),
        group_id=f"{namespace}lifecycle-reader",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )
    async def on_lifecycle(body: bytes, message: KafkaMessage) -> None:
        await accepted.put(body)

    bad = {b"\x00\xff not json at all", b'{"event_type": "OrderPlaced", "order_id": "x"}'}
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    async with app.router.lifespan_context(app):
        await client.start()
        try:
            for spec in CONSUMED:
                for body in bad:
                    await client.publish(body, topic=settings.topic(spec.name), key=b"k")
            placed = order_placed(order_id)
            await client.publish(
                placed.model_dump_json().encode(),
                topic=settings.topic(CHECKOUT_ORDERS.name),
                key=order_id.encode(),
            )
            first_lifecycle = await asyncio.wait_for(accepted.get(), timeout=60)
            messages = [
                await asyncio.wait_for(parked.get(), timeout=60) for _ in range(2 * len(CONSUMED))
            ]
        finally:
            await client.stop()

    assert ORDER_LIFECYCLE.adapter.validate_json(first_lifecycle).order_id == order_id
    by_topic: dict[str, set[bytes]] = {}
    for message in messages:
        headers = message.headers
        assert headers["x-dlq-reason"].startswith("ValidationError")
        assert headers["x-dlq-consumer-group"] == settings.topic("orders")
        by_topic.setdefault(headers["x-dlq-original-topic"], set()).add(message.body)
    assert by_topic == {settings.topic(spec.name): bad for spec in CONSUMED}
