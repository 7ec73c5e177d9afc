"""Publishes a checkout plan to Kafka at a steady rate, each order starting its own trace."""

import asyncio
from pathlib import Path

from opentelemetry import context as otel_context

from conveyor_contracts.topics import CHECKOUT_ERASURES, CHECKOUT_ORDERS, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_simulators.checkout import (
    CheckoutSettings,
    plan_checkout,
    plan_erasure,
    plan_receipts,
)
from conveyor_simulators.kafka import broker, credentials, tracer_provider


async def publish_checkout(
    settings: CheckoutSettings,
    *,
    rate: float,
    bootstrap: str,
    prefix: str = "",
    otlp: str | None = None,
    kafka_credentials: Path | None = None,
) -> int:
    """Publish every planned message; returns how many were published."""
    provider = tracer_provider("checkout-simulator", otlp)
    topic = prefix + CHECKOUT_ORDERS.name
    count = 0
    login = credentials(kafka_credentials, CHECKOUT_ORDERS.producer)
    async with broker(bootstrap, "checkout-simulator", provider, login) as kafka:
        for planned in plan_checkout(settings):
            # An empty context: each message is the root of its own trace, not a child of the
            # previous publish.
            token = otel_context.attach(otel_context.Context())
            try:
                await kafka.publish(
                    planned.message.model_dump(mode="json"), topic, key=planned.key.encode()
                )
            finally:
                otel_context.detach(token)
            count += 1
            if rate > 0:
                await asyncio.sleep(1.0 / rate)
    provider.shutdown()  # flushes the spans
    return count


async def publish_receipts(
    *,
    seed: int,
    warehouses: tuple[str, ...],
    quantity: int,
    bootstrap: str,
    prefix: str = "",
    kafka_credentials: Path | None = None,
) -> int:
    receipts = plan_receipts(seed, warehouses, quantity)
    return await publish_goods_received(
        receipts, bootstrap=bootstrap, prefix=prefix, kafka_credentials=kafka_credentials
    )


async def publish_goods_received(
    receipts: list[GoodsReceived],
    *,
    bootstrap: str,
    prefix: str = "",
    kafka_credentials: Path | None = None,
) -> int:
    """Publish the warehouse's receipts (keyed by SKU, as the stock is); how many."""
    provider = tracer_provider("warehouse-simulator", None)
    topic = prefix + WAREHOUSE_RECEIPTS.name
    login = credentials(kafka_credentials, WAREHOUSE_RECEIPTS.producer)
    async with broker(bootstrap, "warehouse-simulator", provider, login) as kafka:
        for receipt in receipts:
            await kafka.publish(receipt.model_dump(mode="json"), topic, key=receipt.sku.encode())
    provider.shutdown()
    return len(receipts)


async def publish_erasure(
    order_ids: tuple[str, ...],
    erasure_id: str,
    *,
    bootstrap: str,
    prefix: str = "",
    kafka_credentials: Path | None = None,
) -> int:
    """Publish a buyer's erasure request, one message per order (keyed by it); how many."""
    provider = tracer_provider("checkout-simulator", None)
    topic = prefix + CHECKOUT_ERASURES.name
    requests = plan_erasure(order_ids, erasure_id)
    login = credentials(kafka_credentials, CHECKOUT_ERASURES.producer)
    async with broker(bootstrap, "checkout-simulator", provider, login) as kafka:
        for request in requests:
            await kafka.publish(
                request.model_dump(mode="json"), topic, key=request.order_id.encode()
            )
    provider.shutdown()
    return len(requests)
