"""The orders service parks an event about an order it does not have yet; once the order is
in, one replay re-drives the event and the order moves on once, telling the checkout once."""

import io
import uuid

import httpx
from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockBackordered
from conveyor_contracts.topics import CHECKOUT_ORDERS, INVENTORY_RESERVATIONS, ORDER_STATUS, TOPICS
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.dead_letters import DeadLetters
from conveyor_runtime.dead_letters.cli import run
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import (
    CreateTopics,
    KafkaLogin,
    Servers,
    from_example,
    wait_for,
)
from orders.app import create_app
from orders.settings import OrdersSettings


async def status_is(app: FastAPI, operator: dict[str, str], order_id: str, expected: str) -> bool:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as http:
        response = await http.get(f"/orders/{order_id}", headers=operator)
    return response.status_code == 200 and response.json()["status"] == expected


async def replay(kafka: str, namespace: str, login: KafkaLogin) -> str:
    """The operator's command line, replaying inventory's reservations, as the admin."""
    arguments = ["--bootstrap-servers", kafka, "--topic-prefix", namespace]
    if login.credentials_file is not None:
        arguments += ["--credentials", str(login.credentials_file)]
    arguments += ["replay", "--topic", INVENTORY_RESERVATIONS.name]
    out = io.StringIO()
    assert await run(arguments, out=out) == 0, out.getvalue()
    return out.getvalue()


async def test_a_reservation_parked_before_its_order_existed_is_replayed_once_the_order_is_in(
    servers: Servers,
    kafka: str,
    namespace: str,
    create_topics: CreateTopics,
    token_issuer: Issuer,
    kafka_login: KafkaLogin,
) -> None:
    await create_topics(*(spec for spec in TOPICS if "orders" in (spec.producer, *spec.consumers)))
    settings = OrdersSettings(
        kafka_bootstrap_servers=kafka,
        mongo_url=servers.mongo_url,
        mongo_database=f"{namespace}orders",
        otlp_endpoint=None,
        topic_prefix=namespace,
        jwks_path=token_issuer.jwks_path,
        **kafka_login.settings("orders"),  # the service under test logs in as itself
    )
    operator = token_issuer.bearer("operator", "opr_1")
    app = create_app(settings)
    # The test's own client (inventory's and the checkout's side), as the admin.
    checkout = build_broker(
        kafka, "checkout", build_tracer_provider("checkout", None), kafka_login.credentials()
    )
    told: list[str] = []

    @checkout.subscriber(
        settings.topic(ORDER_STATUS.name),
        group_id=f"{namespace}checkout",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )
    async def on_status(body: bytes, message: KafkaMessage) -> None:
        told.append(ORDER_STATUS.adapter.validate_json(body).status)

    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    backordered = from_example(
        StockBackordered, order_id=order_id, correlation_id=order_id, case_id=None
    )
    placed = from_example(OrderPlaced, order_id=order_id, correlation_id=order_id)
    dead_letter_topic = settings.topic(INVENTORY_RESERVATIONS.dead_letter)

    async def parked() -> int:
        async with DeadLetters(kafka, namespace, kafka_login.credentials()) as dead_letters:
            return len((await dead_letters.parked(dead_letter_topic)).still_parked)

    async def one_parked() -> bool:
        return await parked() == 1

    async def checkout_told_backordered() -> bool:
        return "backordered" in told

    async with app.router.lifespan_context(app):
        await checkout.start()
        try:
            # Inventory's answer overtakes the order (say, orders' database was restored from a
            # backup older than it): orders cannot apply it and parks it.
            await checkout.publish(
                backordered.model_dump_json().encode(),
                topic=settings.topic(INVENTORY_RESERVATIONS.name),
                key=order_id.encode(),
            )
            await wait_for(one_parked, within=60)
            await checkout.publish(
                placed.model_dump_json().encode(),
                topic=settings.topic(CHECKOUT_ORDERS.name),
                key=order_id.encode(),
            )
            await wait_for(lambda: status_is(app, operator, order_id, "accepted"), within=60)

            assert "replayed 1 message(s)" in await replay(kafka, namespace, kafka_login)
            await wait_for(lambda: status_is(app, operator, order_id, "backordered"), within=60)
            assert "replayed 0 message(s)" in await replay(kafka, namespace, kafka_login)
            assert await parked() == 0
            await wait_for(checkout_told_backordered, within=60)
        finally:
            await checkout.stop()

    assert told == ["accepted", "backordered"]
