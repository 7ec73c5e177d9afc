"""Composition root: the only place the shipping service is wired together."""

from collections.abc import Hashable
from datetime import UTC, datetime

from fastapi import FastAPI

from conveyor_contracts.topics import SHIPPING_SHIPMENTS
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from shipping.adapters.mongo_capacity import MongoCarrierCapacity
from shipping.adapters.mongo_fulfilments import MongoFulfilments
from shipping.entrypoints.http import shipments_router
from shipping.entrypoints.kafka import register_subscribers
from shipping.entrypoints.metrics import count_foreign_reports, count_shipping_facts
from shipping.ports import Topics
from shipping.settings import ShippingSettings
from shipping.usecases.context import Policy, Shipping
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer


def create_app(settings: ShippingSettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts."""
    infra = infra or build_infrastructure(settings)
    collection = infra.database["fulfilments"]
    relay = infra.outbox_relay(collection)
    count_shipping_facts(infra.metrics)
    policy = Policy.of(settings)

    async def fire(order_id: Hashable, now: datetime) -> None:
        await handle_deadlines_on_timer(str(order_id), now, shipping)

    poller = infra.timer_poller(collection, fire, sweep_seconds=settings.timer_sweep_seconds)
    fulfilments = MongoFulfilments(
        collection, infra.locks, relay, policy.silence, policy.retention, deadlines=poller.stored
    )
    shipping = Shipping(
        fulfilments=fulfilments,
        capacity=MongoCarrierCapacity(infra.database["carrier_capacity"], infra.locks),
        topics=Topics(
            shipments=settings.topic(SHIPPING_SHIPMENTS.name), prefix=settings.topic_prefix
        ),
        policy=policy,
        clock=lambda: datetime.now(UTC),
        count_foreign_report=count_foreign_reports(infra.metrics),
    )
    register_subscribers(infra, shipping)
    return build_http_app(infra, workers=[relay, poller], routers=[shipments_router(fulfilments)])
