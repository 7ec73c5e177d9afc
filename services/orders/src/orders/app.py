"""Composition root: the only place the orders service is wired together."""

from fastapi import FastAPI

from conveyor_contracts.topics import ORDER_LIFECYCLE, ORDER_STATUS
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from orders.adapters.mongo_orders import MongoOrders
from orders.entrypoints.gauges import OrderGauges
from orders.entrypoints.http import orders_router
from orders.entrypoints.kafka import register_subscribers
from orders.ports import Topics
from orders.settings import OrdersSettings


def create_app(settings: OrdersSettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts.

    Tests pass their own ``infra`` (for example with an in-memory span exporter).
    """
    infra = infra or build_infrastructure(settings)
    collection = infra.database["orders"]
    relay = infra.outbox_relay(collection)
    orders = MongoOrders(collection, infra.locks, relay)
    topics = Topics(
        order_lifecycle=settings.topic(ORDER_LIFECYCLE.name),
        order_status=settings.topic(ORDER_STATUS.name),
    )
    register_subscribers(infra, orders, topics)
    allowances = settings.stuck_allowances()
    gauges = OrderGauges(
        orders, allowances, infra.metrics.registry, interval_seconds=settings.order_gauges_seconds
    )
    return build_http_app(
        infra, workers=[relay, gauges], routers=[orders_router(orders, allowances)]
    )
