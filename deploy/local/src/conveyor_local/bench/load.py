"""The load `make bench` puts on the mesh: instant carriers, the warehouses' stock, and each
phase's orders from the checkout simulator, timed against the meter."""

import argparse
import asyncio
import contextlib
import functools
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from opentelemetry import context as otel_context
from pymongo import AsyncMongoClient

from conveyor_contracts.topics import CARRIER_CODES, CHECKOUT_ORDERS, WAREHOUSE_RECEIPTS
from conveyor_local.bench.cost import Meter
from conveyor_local.bench.journey import Journeys
from conveyor_local.demo.flow import WAREHOUSES
from conveyor_local.stack.settings import Endpoints
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.catalogue import HOT_SKUS
from conveyor_simulators.checkout import CheckoutSettings, make_order, plan_receipts
from conveyor_simulators.kafka import broker, credentials, tracer_provider
from conveyor_simulators.run_carrier import build_carriers

PHASES = ("fixed_load", "saturation", "flash_sale")
INSTANT = 1e6  # carrier time acceleration: an hour's pickup delay becomes 3.6 ms
say = functools.partial(print, flush=True)  # a CLI: it reports on stdout


@contextlib.asynccontextmanager
async def instant_carriers(endpoints: Endpoints, prefix: str, seed: int) -> Any:
    """The six simulated carriers, accepting every booking and delivering at once."""
    instant = CarrierSettings(
        seed=seed, decline_rate=0.0, failed_delivery_rate=0.0, lost_rate=0.0,
        duplicate_rate=0.0, out_of_order_rate=0.0,
    )  # fmt: skip
    simulated = build_carriers(
        CARRIER_CODES,
        bootstrap=endpoints.kafka,
        provider_for=functools.partial(tracer_provider, otlp_endpoint=endpoints.otlp_http),
        settings=instant,
        speed=INSTANT,
        prefix=prefix,
        kafka_credentials=endpoints.kafka_credentials,
    )
    for kafka, _, _ in simulated:
        await kafka.start()
    try:
        yield
    finally:
        for kafka, provider, carrier in simulated:
            carrier.close()
            await kafka.stop()
            provider.shutdown()


async def _publish_orders(
    endpoints: Endpoints, prefix: str, settings: CheckoutSettings, rate: float
) -> list[str]:
    """The checkout simulator's orders, stamped with the time they are really placed."""
    provider = tracer_provider("checkout-simulator", endpoints.otlp_http)
    placed = []
    login = credentials(endpoints.kafka_credentials, CHECKOUT_ORDERS.producer)
    async with broker(endpoints.kafka, "checkout-simulator", provider, login) as kafka:
        for index in range(settings.orders):
            order = make_order(settings, index).model_copy(update={"occurred_at": now()})
            token = otel_context.attach(otel_context.Context())  # each order its own trace
            try:
                await kafka.publish(
                    order.model_dump(mode="json"),
                    prefix + CHECKOUT_ORDERS.name,
                    key=order.order_id.encode(),
                )
            finally:
                otel_context.detach(token)
            placed.append(order.order_id)
            if rate > 0:
                await asyncio.sleep(1.0 / rate)
    provider.shutdown()
    return placed


def now() -> datetime:
    return datetime.now(UTC)


async def _until_settled(journeys: Journeys, order_ids: list[str], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if journeys.settled(order_ids):
            return True
        await asyncio.sleep(0.5)
    return False


def _demand(phases: Iterable[CheckoutSettings]) -> Counter[tuple[str, str]]:
    """Units the phases' orders ask for, per (warehouse, sku): one warehouse per market here."""
    warehouse_of = {warehouse.split("-")[1]: warehouse for warehouse in WAREHOUSES}
    wanted: Counter[tuple[str, str]] = Counter()
    for settings in phases:
        for index in range(settings.orders):
            order = make_order(settings, index)
            for line in order.lines:
                wanted[(warehouse_of[order.market], line.sku)] += line.quantity
    return wanted


async def stock_warehouses(
    endpoints: Endpoints,
    prefix: str,
    args: argparse.Namespace,
    phases: dict[str, CheckoutSettings],
) -> dict[tuple[str, str], int]:
    """The warehouse simulator's receipts: every SKU what the run's orders ask for plus
    ``--stock`` spare, except the flash sale's hot SKUs: what the other phases ask for plus
    ``--hot-stock``, which the sale runs out of. Returns the units received per (warehouse, sku)."""
    everything = _demand(phases.values())
    before_sale = _demand(settings for name, settings in phases.items() if name != "flash_sale")
    receipts = []
    for receipt in plan_receipts(args.seed, WAREHOUSES, args.stock):
        key = (receipt.warehouse_id, receipt.sku)
        if receipt.sku in HOT_SKUS:
            units = before_sale[key] + args.hot_stock
        else:
            units = everything[key] + args.stock
        receipts.append(receipt.model_copy(update={"quantity": units}))
    provider = tracer_provider("warehouse-simulator", None)
    login = credentials(endpoints.kafka_credentials, WAREHOUSE_RECEIPTS.producer)
    async with broker(endpoints.kafka, "warehouse-simulator", provider, login) as client:
        for receipt in receipts:
            await client.publish(
                receipt.model_dump(mode="json"),
                prefix + WAREHOUSE_RECEIPTS.name,
                key=receipt.sku.encode(),
            )
    provider.shutdown()
    return {(receipt.warehouse_id, receipt.sku): receipt.quantity for receipt in receipts}


async def until_stocked(
    mongo: AsyncMongoClient[dict[str, Any]], database: str, received: dict[tuple[str, str], int]
) -> None:
    """Wait until inventory has put every receipt away, so no order meets an empty shelf."""
    for _ in range(240):
        documents = await mongo[database]["stock"].find().to_list()
        on_hand = {(d["warehouse_id"], d["sku"]): d["on_hand"] for d in documents}
        if on_hand == received:
            return
        await asyncio.sleep(0.5)
    raise SystemExit("inventory did not put the receipts away within 2 minutes")


async def run_phase(
    name: str, settings: CheckoutSettings, rate: float, budget: float, context: dict[str, Any]
) -> list[str]:
    """Measure the processes' idle rate for a few seconds, then publish one phase's orders and
    give them the phase's time budget to settle; the meter's samples go to ``context``.

    Orders still in flight when the budget runs out are counted as unsettled, not waited for:
    a benchmark on a shared machine has to end in bounded time.
    """
    endpoints, prefix, journeys = context["endpoints"], context["prefix"], context["journeys"]
    meter: Meter = context["meter"]
    idle = await meter.sample(scrape=False)
    await asyncio.sleep(context["idle_seconds"])
    start = await meter.sample()
    say(f"{name}: {settings.orders} orders at " + (f"{rate:g}/s" if rate else "once"))
    order_ids = await _publish_orders(endpoints, prefix, settings, rate)
    await _until_settled(journeys, order_ids, budget)
    context["samples"][name] = (idle, start, await meter.sample())
    return order_ids
