"""Orders and inventory together on the real broker and database: reserve, or reject short."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CHECKOUT_ORDERS, TOPICS, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_runtime.broker import build_broker
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import CreateTopics, KafkaLogin, Servers, wait_for
from inventory.app import create_app as create_inventory
from inventory.settings import InventorySettings
from orders.app import create_app as create_orders
from orders.settings import OrdersSettings

SERVICES = ("orders", "inventory")


def example(model: type[BaseModel], **fields: Any) -> Any:
    data = model.model_json_schema()["examples"][0]
    fresh = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat()}
    return model.model_validate(data | fresh | fields)


def an_order(order_id: str, sku: str) -> OrderPlaced:
    order = example(OrderPlaced, order_id=order_id, correlation_id=order_id).model_dump(mode="json")
    for line in order["lines"]:
        line["sku"] = sku
    return OrderPlaced.model_validate(order)


@asynccontextmanager
async def running(*apps: FastAPI) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


async def status_of(app: FastAPI, operator: dict[str, str], order_id: str) -> str | None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orders") as http:
        response = await http.get(f"/orders/{order_id}", headers=operator)
    return response.json()["status"] if response.status_code == 200 else None


async def test_an_order_in_stock_is_reserved_and_one_out_of_stock_is_rejected(
    servers: Servers,
    kafka: str,
    namespace: str,
    create_topics: CreateTopics,
    token_issuer: Issuer,
    kafka_login: KafkaLogin,
) -> None:
    await create_topics(*(s for s in TOPICS if {s.producer, *s.consumers} & set(SERVICES)))
    common = {
        "kafka_bootstrap_servers": kafka,
        "mongo_url": servers.mongo_url,
        "otlp_endpoint": servers.otlp,
        "topic_prefix": namespace,
        "jwks_path": token_issuer.jwks_path,
    }
    operator = token_issuer.bearer("operator", "opr_1")
    # Each service under test logs in as its own principal.
    orders_settings = OrdersSettings(
        mongo_database=f"{namespace}orders", **common, **kafka_login.settings("orders")
    )
    orders = create_orders(orders_settings)
    inventory = create_inventory(
        InventorySettings(
            mongo_database=f"{namespace}inventory",
            unfillable_policy="shortage",
            **common,
            **kafka_login.settings("inventory"),
        )
    )
    # The test's own client (the checkout's and the warehouse's side), as the admin.
    checkout = build_broker(
        kafka,
        "checkout-test",
        build_tracer_provider("checkout-test", None),
        kafka_login.credentials(),
    )
    in_stock, out_of_stock = f"ord_{uuid.uuid4().hex[:10]}", f"ord_{uuid.uuid4().hex[:10]}"
    receipt = example(GoodsReceived, sku="TEE-BLK-M", quantity=10, warehouse_id="WH-US-NJ1")

    async with running(orders, inventory), checkout:
        await checkout.publish(
            receipt.model_dump_json().encode(),
            topic=orders_settings.topic(WAREHOUSE_RECEIPTS.name),
            key=b"TEE-BLK-M",
        )

        async def stocked() -> bool:  # receipts and orders are separate topics: no order between
            transport = httpx.ASGITransport(app=inventory)
            async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as http:
                return (await http.get("/stock/TEE-BLK-M", headers=operator)).status_code == 200

        await wait_for(stocked, within=60, interval=0.1)
        for order_id, sku in ((in_stock, "TEE-BLK-M"), (out_of_stock, "MUG-WHT-01")):
            await checkout.publish(
                an_order(order_id, sku).model_dump_json().encode(),
                topic=orders_settings.topic(CHECKOUT_ORDERS.name),
                key=order_id.encode(),
            )

        async def settled() -> bool:
            return (
                await status_of(orders, operator, in_stock),
                await status_of(orders, operator, out_of_stock),
            ) == (
                "reserved",
                "rejected",
            )

        await wait_for(settled, within=90, interval=0.1)
