"""Composition root: the only place the inventory service is wired together."""

from dataclasses import dataclass

from fastapi import FastAPI

from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxRelay
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from conveyor_runtime.timers import TimerPoller
from inventory.adapters.memory_inbound import MemoryInbound
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.adapters.mongo_inbound import MongoInbound
from inventory.adapters.mongo_reservations import MongoReservations
from inventory.adapters.mongo_stock import MongoStock
from inventory.adapters.wire import inventory_outlet
from inventory.entrypoints.http import stock_router
from inventory.entrypoints.kafka import register_subscribers
from inventory.entrypoints.metrics import count_reservation_outcomes
from inventory.entrypoints.receiving_http import receiving_router
from inventory.entrypoints.sellers_http import sellers_router
from inventory.entrypoints.timers import BackorderExpiry, InboundClosing
from inventory.ports import InboundRepository, ReservationRepository, StockStore
from inventory.settings import InventorySettings
from inventory.usecases.context import Inventory

# Three collections with outboxes: reservation events leave from the order's document, stock
# events from the (warehouse, sku) document, inbound events from the ASN's. Their keys never
# collide in the shared locks (order ids, "<warehouse>|<sku>", "asn_...").
RESERVATIONS = "reservations"
STOCK = "stock"
INBOUND = "inbound_shipments"


@dataclass(frozen=True)
class InboundDeps:
    """Sellers' inbound shipments: where they are kept, the relay publishing their events and
    the timer ending their reconciliations (``closing``, bound by ``create_app``)."""

    shipments: InboundRepository
    relay: OutboxRelay
    timers: TimerPoller
    closing: InboundClosing


@dataclass(frozen=True)
class InventoryDeps:
    """What the service is built on: the shared infrastructure, where stock and reservations
    are kept, the relays publishing the events their writes leave in their outboxes, and the
    timer firing the reservations' deadlines (``expiry``, bound by ``create_app``)."""

    infra: Infrastructure
    stock: StockStore
    reservations: ReservationRepository
    stock_relay: OutboxRelay
    reservations_relay: OutboxRelay
    timers: TimerPoller
    expiry: BackorderExpiry
    inbound: InboundDeps

    @classmethod
    def on_mongo(cls, infra: Infrastructure) -> "InventoryDeps":
        """Production: a document per (warehouse, sku) and per reservation, its outbox inside."""
        stock_collection = infra.database[STOCK]
        reservations_collection = infra.database[RESERVATIONS]
        stock_relay = infra.outbox_relay(stock_collection)
        reservations_relay = infra.outbox_relay(reservations_collection)
        expiry = BackorderExpiry()
        timers = infra.timer_poller(
            reservations_collection, expiry, sweep_seconds=_settings(infra).timer_sweep_seconds
        )
        outlet = inventory_outlet(infra.settings.topic_prefix)
        reservations = MongoReservations(
            reservations_collection,
            infra.locks,
            reservations_relay,
            outlet,
            deadlines=timers.stored,
        )
        stock = MongoStock(stock_collection, infra.locks, stock_relay, outlet)
        inbound_collection = infra.database[INBOUND]
        inbound_relay = infra.outbox_relay(inbound_collection)
        closing = InboundClosing()
        inbound_timers = infra.timer_poller(
            inbound_collection, closing, sweep_seconds=_settings(infra).timer_sweep_seconds
        )
        shipments = MongoInbound(
            inbound_collection, infra.locks, inbound_relay, outlet, deadlines=inbound_timers.stored
        )
        inbound = InboundDeps(shipments, inbound_relay, inbound_timers, closing)
        return cls(
            infra, stock, reservations, stock_relay, reservations_relay, timers, expiry, inbound
        )

    @classmethod
    def in_memory(cls, infra: Infrastructure) -> "InventoryDeps":
        """Component tests: stock and reservations in dicts, their outboxes drained by the same
        relays, their deadlines fired by a timer that learns them all from their writes."""
        stock_store, reservations_store = MemoryOutboxStore(), MemoryOutboxStore()
        stock_relay = infra.relay(stock_store, collection=STOCK)
        reservations_relay = infra.relay(reservations_store, collection=RESERVATIONS)
        expiry = BackorderExpiry()
        timers = infra.timer_poller(
            RESERVATIONS, expiry, sweep_seconds=_settings(infra).timer_sweep_seconds
        )
        outlet = inventory_outlet(infra.settings.topic_prefix)
        reservations = MemoryReservations(
            reservations_store, reservations_relay, deadlines=timers.stored, outlet=outlet
        )
        stock = MemoryStock(stock_store, stock_relay, outlet)
        inbound_store = MemoryOutboxStore()
        inbound_relay = infra.relay(inbound_store, collection=INBOUND)
        closing = InboundClosing()
        inbound_timers = infra.timer_poller(
            INBOUND, closing, sweep_seconds=_settings(infra).timer_sweep_seconds
        )
        shipments = MemoryInbound(
            inbound_store, inbound_relay, deadlines=inbound_timers.stored, outlet=outlet
        )
        inbound = InboundDeps(shipments, inbound_relay, inbound_timers, closing)
        return cls(
            infra, stock, reservations, stock_relay, reservations_relay, timers, expiry, inbound
        )


def _settings(infra: Infrastructure) -> InventorySettings:
    """The settings ``infra`` was built from, as inventory's (the timer's sweep is theirs)."""
    if not isinstance(infra.settings, InventorySettings):
        raise TypeError("inventory needs an infrastructure built from InventorySettings")
    return infra.settings


def create_app(settings: InventorySettings, deps: InventoryDeps | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts.

    Without ``deps``, stock and reservations are kept in the settings' database. Component
    tests pass ``InventoryDeps.in_memory(build_memory_infrastructure(settings))``, their broker
    under ``TestKafkaBroker``.
    """
    deps = deps or InventoryDeps.on_mongo(build_infrastructure(settings))
    count_reservation_outcomes(deps.infra.metrics)
    inventory = Inventory(
        stock=deps.stock,
        reservations=deps.reservations,
        policy=settings.policy(),
        inbound=deps.inbound.shipments,
    )
    deps.expiry.inventory = inventory
    deps.inbound.closing.inventory = inventory
    register_subscribers(deps.infra, inventory)
    return build_http_app(
        deps.infra,
        workers=[
            deps.reservations_relay,
            deps.stock_relay,
            deps.timers,
            deps.inbound.relay,
            deps.inbound.timers,
        ],
        routers=[
            stock_router(deps.stock),
            sellers_router(inventory),
            receiving_router(inventory),
        ],
    )
