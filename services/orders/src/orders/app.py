"""Composition root: the only place the orders service is wired together."""

from dataclasses import dataclass

from fastapi import FastAPI

from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxRelay
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from orders.adapters.memory_orders import MemoryOrders
from orders.adapters.mongo_orders import MongoOrders
from orders.adapters.wire import order_outlet
from orders.entrypoints.gauges import OrderGauges
from orders.entrypoints.http import orders_router
from orders.entrypoints.kafka import register_subscribers
from orders.entrypoints.sellers_http import sellers_router
from orders.ports import OrderRepository
from orders.settings import OrdersSettings

COLLECTION = "orders"


@dataclass(frozen=True)
class OrdersDeps:
    """What the service is built on: the shared infrastructure, where orders are kept, and the
    relay publishing the events their writes leave in the orders' outboxes."""

    infra: Infrastructure
    orders: OrderRepository
    relay: OutboxRelay

    @classmethod
    def on_mongo(cls, infra: Infrastructure) -> "OrdersDeps":
        """Production: one document per order, its outbox inside it."""
        collection = infra.database[COLLECTION]
        relay = infra.outbox_relay(collection)
        outlet = order_outlet(infra.settings.topic_prefix)
        return cls(infra, MongoOrders(collection, infra.locks, relay, outlet), relay)

    @classmethod
    def in_memory(cls, infra: Infrastructure) -> "OrdersDeps":
        """Component tests: orders in a dict, their outboxes drained by the same relay."""
        store = MemoryOutboxStore()
        relay = infra.relay(store, collection=COLLECTION)
        outlet = order_outlet(infra.settings.topic_prefix)
        return cls(infra, MemoryOrders(store, relay, outlet), relay)


def create_app(settings: OrdersSettings, deps: OrdersDeps | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts.

    Without ``deps``, orders are kept in the settings' database. Component tests pass
    ``OrdersDeps.in_memory(build_memory_infrastructure(settings))``, their broker under
    ``TestKafkaBroker``.
    """
    deps = deps or OrdersDeps.on_mongo(build_infrastructure(settings))
    promises = settings.promise_policy()
    register_subscribers(deps.infra, deps.orders, promises)
    allowances = settings.stuck_allowances()
    gauges = OrderGauges(
        deps.orders,
        allowances,
        deps.infra.metrics.registry,
        interval_seconds=settings.order_gauges_seconds,
    )
    return build_http_app(
        deps.infra,
        workers=[deps.relay, gauges],
        routers=[
            orders_router(deps.orders, allowances),
            sellers_router(deps.orders, promises.calendar),
        ],
    )
