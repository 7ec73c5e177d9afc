"""The vertical slice through real Kafka, the real database and the real Jaeger.

The test plays the shop checkout: it publishes ``OrderPlaced`` on the checkout topic, the orders
service (in this process, wired by its own ``create_app``) stores the order and emits
``OrderAccepted`` through the outbox in the order's document, and the test receives it. The
journey's trace is then read back from Jaeger's HTTP API.
"""

import asyncio
import uuid
from typing import Any

import httpx
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from orders_fixtures import ORDERS_TOPICS, order_placed, orders_settings
from pymongo import AsyncMongoClient

from conveyor_contracts.topics import CHECKOUT_ORDERS, ORDER_LIFECYCLE
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import CreateTopics, Servers, fetch_trace
from orders.app import create_app
from orders.settings import OrdersSettings

CHECKOUT = "checkout-simulator"


async def test_an_order_placed_on_kafka_is_stored_accepted_through_the_outbox_and_traced(
    servers: Servers,
    kafka: str,
    namespace: str,
    create_topics: CreateTopics,
    token_issuer: Issuer,
) -> None:
    await create_topics(*ORDERS_TOPICS)
    # Database spans are off by default (a setting); this trace follows the order's insert.
    settings = orders_settings(servers, kafka, namespace).model_copy(
        update={"trace_database": True, "jwks_path": token_issuer.jwks_path}
    )
    app = create_app(settings)
    checkout_tracing = build_tracer_provider(CHECKOUT, servers.otlp)
    # The test plays the checkout with the admin's login, a client of its own.
    checkout = build_broker(kafka, CHECKOUT, checkout_tracing, servers.kafka_login.credentials())
    lifecycle: asyncio.Queue[KafkaMessage] = asyncio.Queue()

    @checkout.subscriber(
        settings.topic(ORDER_LIFECYCLE.name),
        group_id=f"{namespace}checkout",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )
    async def on_lifecycle(body: bytes, message: KafkaMessage) -> None:
        await lifecycle.put(message)

    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    placed = order_placed(order_id)
    async with app.router.lifespan_context(app):
        await checkout.start()
        try:
            await checkout.publish(
                placed.model_dump_json().encode(),
                topic=settings.topic(CHECKOUT_ORDERS.name),
                key=order_id.encode(),
            )
            message = await asyncio.wait_for(lifecycle.get(), timeout=60)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://orders",
                headers=token_issuer.bearer("operator", "opr_1"),
            ) as http:
                response = await http.get(f"/orders/{order_id}")
                missing = await http.get(f"/orders/ord-{uuid.uuid4().hex[:12]}")
        finally:
            await checkout.stop()

    accepted = ORDER_LIFECYCLE.adapter.validate_json(message.body)
    assert accepted.event_type == "OrderAccepted"
    assert accepted.order_id == order_id
    assert accepted.causation_id == placed.event_id
    assert accepted.correlation_id == placed.correlation_id
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert missing.status_code == 404

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    try:
        stored = await mongo[settings.mongo_database]["orders"].find_one({"_id": order_id})
        await mongo.drop_database(settings.mongo_database)
    finally:
        await mongo.close()
    assert stored is not None
    assert stored["status"] == "accepted"
    assert stored["outbox"] == []  # the relay published the event and removed it

    checkout_tracing.force_flush()
    trace_id = message.headers["traceparent"].split("-")[1]
    trace = await fetch_trace(servers.jaeger, trace_id, expect_services={CHECKOUT, "orders"})
    await assert_one_journey(trace, settings)


async def assert_one_journey(trace: dict[str, Any], settings: OrdersSettings) -> None:
    """Checkout publish → orders consume → database write → orders publish, parent to child."""
    service_of = {key: process["serviceName"] for key, process in trace["processes"].items()}
    spans = {span["spanID"]: span for span in trace["spans"]}

    def parent(span: dict[str, Any]) -> dict[str, Any] | None:
        refs = [ref for ref in span["references"] if ref["refType"] == "CHILD_OF"]
        return spans.get(refs[0]["spanID"]) if refs else None

    def find(service: str, kind: str, name_part: str) -> dict[str, Any]:
        for span in spans.values():
            tags = {tag["key"]: tag["value"] for tag in span["tags"]}
            if (
                service_of[span["processID"]] == service
                and tags.get("span.kind") == kind
                and name_part in span["operationName"]
            ):
                return span
        names = sorted((service_of[s["processID"]], s["operationName"]) for s in spans.values())
        raise AssertionError(f"no {kind} span of {service} named *{name_part}*; spans: {names}")

    checkout_topic = settings.topic(CHECKOUT_ORDERS.name)
    lifecycle_topic = settings.topic(ORDER_LIFECYCLE.name)
    # Spans are named "<destination> <action>". An outside client on FastStream's middleware
    # publishes a "create" span, the consumer's parent; a service publishes one "publish" span.
    published = find(CHECKOUT, "producer", f"{checkout_topic} create")
    consumed = find("orders", "consumer", f"{checkout_topic} process")
    stored = find("orders", "client", ".insert")
    emitted = find("orders", "producer", f"{lifecycle_topic} publish")
    assert parent(consumed) is published
    assert parent(stored) is consumed
    assert parent(emitted) is consumed
