"""Composition root: the only place the inventory service is wired together."""

from fastapi import FastAPI

from conveyor_contracts.topics import INVENTORY_RESERVATIONS, INVENTORY_STOCK
from conveyor_runtime.outbox import MongoOutboxStore, OutboxRelay, kafka_publisher
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from inventory.adapters.mongo_reservations import MongoReservations
from inventory.adapters.mongo_stock import MongoStock
from inventory.entrypoints.http import stock_router
from inventory.entrypoints.kafka import register_subscribers
from inventory.ports import Topics
from inventory.settings import InventorySettings


def create_app(settings: InventorySettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts."""
    infra = infra or build_infrastructure(settings)
    reservations_collection = infra.database["reservations"]
    relay = OutboxRelay(
        MongoOutboxStore(reservations_collection),
        kafka_publisher(infra.broker, infra.metrics),
        infra.locks,
        sweep_seconds=settings.outbox_sweep_seconds,
    )
    stock = MongoStock(infra.database["stock"], infra.locks)
    reservations = MongoReservations(reservations_collection, infra.locks, relay)
    topics = Topics(
        reservations=settings.topic(INVENTORY_RESERVATIONS.name),
        stock=settings.topic(INVENTORY_STOCK.name),
    )
    register_subscribers(infra, stock, reservations, settings.network(), topics)
    return build_http_app(infra, workers=[relay], routers=[stock_router(stock)])
