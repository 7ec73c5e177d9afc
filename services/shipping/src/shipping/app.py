"""Composition root: the only place the shipping service is wired together."""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import Stored
from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.outbox import OutboxRelay
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from conveyor_runtime.timers import TimerPoller
from shipping.adapters.memory import DeadlineReport, MemoryCarrierCapacity, MemoryFulfilments
from shipping.adapters.mongo_capacity import MongoCarrierCapacity
from shipping.adapters.mongo_fulfilments import MongoFulfilments
from shipping.adapters.wire import shipping_outlet
from shipping.entrypoints.http import shipments_router
from shipping.entrypoints.kafka import register_subscribers
from shipping.entrypoints.metrics import count_foreign_reports, count_shipping_facts
from shipping.entrypoints.scorecards import CarrierScoreboard, carriers_router
from shipping.ports import CarrierCapacity, FulfilmentRepository
from shipping.settings import ShippingSettings
from shipping.usecases.context import Policy, Shipping, calendar_of
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer

FULFILMENTS = "fulfilments"
CARRIER_CAPACITY = "carrier_capacity"

# The fulfilments repository, made once the timer poller exists: its writes tell the poller
# their deadlines (``Stored``), and the poller's firings reach the use cases, which need it.
Fulfilments = Callable[[Policy, Stored], FulfilmentRepository]
# Where the poller finds the fulfilments' deadlines: their collection, or its name alone when
# they are kept in memory (the poller then learns every deadline from their writes).
TimerDocuments = AsyncCollection[dict[str, Any]] | str


@dataclass(frozen=True)
class ShippingDeps:
    """What the service is built on: the shared infrastructure, the use cases' context (where
    fulfilments and carriers' capacity are kept), the relay publishing the messages the
    fulfilments' writes leave in their outboxes, and the poller firing their deadlines."""

    infra: Infrastructure
    shipping: Shipping
    relay: OutboxRelay
    timer: TimerPoller
    scoreboard: CarrierScoreboard

    @classmethod
    def on_mongo(cls, infra: Infrastructure) -> "ShippingDeps":
        """Production: one document per order (its outbox and next deadline inside it), and a
        counter document per carrier and day."""
        collection = infra.database[FULFILMENTS]
        relay = infra.outbox_relay(collection)
        outlet = shipping_outlet(infra.settings.topic_prefix)

        def fulfilments(policy: Policy, deadlines: Stored) -> FulfilmentRepository:
            return MongoFulfilments(
                collection,
                infra.locks,
                relay,
                policy.silence,
                policy.retention,
                outlet,
                deadlines=deadlines,
            )

        capacity = MongoCarrierCapacity(infra.database[CARRIER_CAPACITY], infra.locks)
        return _wired(infra, relay, fulfilments, capacity, timer_documents=collection)

    @classmethod
    def in_memory(cls, infra: Infrastructure) -> "ShippingDeps":
        """Component tests: fulfilments and capacity in dicts, the fulfilments' outboxes drained
        by the same relay and their deadlines fired by the same poller."""
        store = MemoryOutboxStore()
        relay = infra.relay(store, collection=FULFILMENTS)
        outlet = shipping_outlet(infra.settings.topic_prefix)

        def fulfilments(policy: Policy, deadlines: Stored) -> FulfilmentRepository:
            report = DeadlineReport(deadlines, policy.silence, policy.retention)
            return MemoryFulfilments(store, relay, report, outlet)

        capacity = MemoryCarrierCapacity()
        return _wired(infra, relay, fulfilments, capacity, timer_documents=FULFILMENTS)


def _wired(
    infra: Infrastructure,
    relay: OutboxRelay,
    fulfilments: Fulfilments,
    capacity: CarrierCapacity,
    *,
    timer_documents: TimerDocuments,
) -> ShippingDeps:
    """The use cases' context on these repositories, and the poller firing their deadlines."""
    settings = _shipping_settings(infra)
    policy = Policy.of(settings, calendar_of(settings))

    async def fire(order_id: Hashable, now: datetime) -> None:
        await handle_deadlines_on_timer(str(order_id), now, shipping)

    timer = infra.timer_poller(timer_documents, fire, sweep_seconds=settings.timer_sweep_seconds)
    repository = fulfilments(policy, timer.stored)
    scoreboard = CarrierScoreboard(
        repository,
        tuple(carrier.code for carrier in policy.carriers),
        _now,
        interval_seconds=settings.scorecard_refresh_seconds,
    )
    shipping = Shipping(
        fulfilments=repository,
        capacity=capacity,
        policy=policy,
        clock=_now,
        count_foreign_report=count_foreign_reports(infra.metrics),
        on_time=scoreboard.on_time,
    )
    return ShippingDeps(infra, shipping, relay, timer, scoreboard)


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: ShippingSettings, deps: ShippingDeps | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts.

    Without ``deps``, fulfilments are kept in the settings' database. Component tests pass
    ``ShippingDeps.in_memory(build_memory_infrastructure(settings))``, their broker under
    ``TestKafkaBroker``. The policy and topics are those of the settings ``deps.infra`` was
    built from.
    """
    deps = deps or ShippingDeps.on_mongo(build_infrastructure(settings))
    count_shipping_facts(deps.infra.metrics)
    register_subscribers(deps.infra, deps.shipping)
    return build_http_app(
        deps.infra,
        workers=[deps.relay, deps.timer, deps.scoreboard],
        routers=[shipments_router(deps.shipping.fulfilments), carriers_router(deps.scoreboard)],
    )


def _shipping_settings(infra: Infrastructure) -> ShippingSettings:
    """The settings ``infra`` was built from: shipping's own, since they carry its policy."""
    if not isinstance(infra.settings, ShippingSettings):
        raise TypeError("shipping's infrastructure is built from ShippingSettings")
    return infra.settings
