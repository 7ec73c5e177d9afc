"""Composition root: the only place the inventory service is wired together."""

from collections.abc import Hashable
from datetime import datetime

from fastapi import FastAPI

from conveyor_contracts.topics import INVENTORY_RESERVATIONS, INVENTORY_STOCK
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from inventory.adapters.mongo_reservations import MongoReservations
from inventory.adapters.mongo_stock import MongoStock
from inventory.entrypoints.http import stock_router
from inventory.entrypoints.kafka import register_subscribers
from inventory.entrypoints.metrics import count_reservation_outcomes
from inventory.ports import Topics
from inventory.settings import InventorySettings
from inventory.usecases.context import Inventory
from inventory.usecases.expire_backorder_on_timer import expire_backorder_on_timer


def create_app(settings: InventorySettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts."""
    infra = infra or build_infrastructure(settings)
    # Two collections with outboxes: reservation events leave from the order's document, stock
    # events from the (warehouse, sku) document. Their keys never collide in the shared locks.
    reservations_collection = infra.database["reservations"]
    stock_collection = infra.database["stock"]
    reservations_relay = infra.outbox_relay(reservations_collection)
    stock_relay = infra.outbox_relay(stock_collection)
    count_reservation_outcomes(infra.metrics)

    async def fire(order_id: Hashable, now: datetime) -> None:
        await expire_backorder_on_timer(str(order_id), now, inventory)

    poller = infra.timer_poller(
        reservations_collection, fire, sweep_seconds=settings.timer_sweep_seconds
    )
    stock = MongoStock(stock_collection, infra.locks, stock_relay)
    inventory = Inventory(
        stock=stock,
        reservations=MongoReservations(
            reservations_collection, infra.locks, reservations_relay, deadlines=poller.stored
        ),
        topics=Topics(
            reservations=settings.topic(INVENTORY_RESERVATIONS.name),
            stock=settings.topic(INVENTORY_STOCK.name),
        ),
        policy=settings.policy(),
    )
    register_subscribers(infra, inventory)
    return build_http_app(
        infra,
        workers=[reservations_relay, stock_relay, poller],
        routers=[stock_router(stock)],
    )
