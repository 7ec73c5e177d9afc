"""Bad input on every topic shipping consumes is parked with its reason; the consumer carries on
and a valid order still gets its carrier booked."""

import asyncio
import uuid

from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage

from conveyor_contracts.carriers.requests import CARRIER_REQUESTS
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.topics import (
    CARRIER_CODES,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SUPPORT_CASES,
    TOPICS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import CreateTopics, Servers, collect, from_example
from shipping.app import create_app
from shipping.settings import ShippingSettings

CONSUMED = (
    ORDER_LIFECYCLE,
    INVENTORY_RESERVATIONS,
    SUPPORT_CASES,
    *(carrier_tracking_topic(code) for code in CARRIER_CODES),
)


async def test_bad_messages_on_every_consumed_topic_are_dead_lettered_and_orders_still_book(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*(s for s in TOPICS if "shipping" in (s.producer, *s.consumers)))
    settings = ShippingSettings(
        kafka_bootstrap_servers=kafka,
        mongo_url=servers.mongo_url,
        mongo_database=f"{namespace}shipping",
        otlp_endpoint=servers.otlp,
        topic_prefix=namespace,
        **servers.kafka_login.settings("shipping"),  # as its own principal: the ACLs apply
    )
    app = create_app(settings)
    client = build_broker(
        kafka,
        "dlq-test",
        build_tracer_provider("dlq-test", None),
        servers.kafka_login.credentials(),
    )
    requests: asyncio.Queue[bytes] = asyncio.Queue()

    parked = collect(
        client,
        (settings.topic(spec.dead_letter) for spec in CONSUMED),
        group=f"{namespace}dlq-reader",
    )

    @client.subscriber(
        settings.topic(carrier_requests_topic("swiftpost").name),
        group_id=f"{namespace}swiftpost",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )
    async def on_request(body: bytes, message: KafkaMessage) -> None:
        await requests.put(body)

    bad = {b"\x00\xff not json at all", b'{"event_type": "OrderAccepted", "order_id": "x"}'}
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    ids = {"order_id": order_id, "correlation_id": order_id}
    async with app.router.lifespan_context(app):
        await client.start()
        try:
            for spec in CONSUMED:
                for body in bad:
                    await client.publish(body, topic=settings.topic(spec.name), key=b"k")
            for spec, event in (
                (ORDER_LIFECYCLE, from_example(OrderAccepted, **ids)),
                (INVENTORY_RESERVATIONS, from_example(StockReserved, **ids)),
            ):
                await client.publish(
                    event.model_dump_json().encode(),
                    topic=settings.topic(spec.name),
                    key=order_id.encode(),
                )
            booking = CARRIER_REQUESTS.validate_json(await asyncio.wait_for(requests.get(), 90))
            messages = [
                await asyncio.wait_for(parked.get(), timeout=90) for _ in range(2 * len(CONSUMED))
            ]
        finally:
            await client.stop()

    assert booking.event_type == "BookShipment"
    assert booking.order_id == order_id
    by_topic: dict[str, set[bytes]] = {}
    for message in messages:
        headers = message.headers
        assert headers["x-dlq-reason"].startswith("ValidationError")
        assert headers["x-dlq-consumer-group"] == settings.topic("shipping")
        by_topic.setdefault(headers["x-dlq-original-topic"], set()).add(message.body)
    assert by_topic == {settings.topic(spec.name): bad for spec in CONSUMED}
