"""Composition root: the only place the support service is wired together."""

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.memory import MemoryOutboxStore
from conveyor_runtime.mongo import KeyedLock, build_mongo_client
from conveyor_runtime.outbox import OutboxRelay
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.timers import TimerPoller
from support.adapters.memory import MemoryCases, MemoryTimelines
from support.adapters.memory_inbound import MemoryInboundCases
from support.adapters.mongo import TIMELINES, MongoCases, MongoTimelines
from support.adapters.mongo_inbound import INBOUND_CASES, MongoInboundCases
from support.adapters.wire import support_outlet
from support.domain.aftersales import ReturnPolicy
from support.entrypoints.http import support_router
from support.entrypoints.kafka import register_subscribers
from support.entrypoints.metrics import count_cases_opened
from support.entrypoints.rebuild import replay_timelines
from support.ports import CaseRepository, InboundCaseRepository, TimelineRepository
from support.settings import SupportSettings
from support.usecases.context import Support
from support.usecases.escalate_cases_on_timer import escalate_cases_on_timer
from support.usecases.escalate_inbound_case_on_timer import escalate_inbound_case_on_timer

CASES = "cases"  # the collection of the orders' cases, with their outboxes and deadlines


class Deadlines:
    """What a timer does when a deadline passes, through a use case (the orders' cases: escalate,
    forget what is due; the inbound cases: escalate). The poller must exist before the
    repository, which tells it every deadline it writes, and the use cases are built on that
    repository: so ``create_app`` binds them here afterwards, before the app (and the poller with
    it) starts."""

    def __init__(self, on_due: Callable[[str, datetime, Support], Awaitable[None]]) -> None:
        self.on_due = on_due
        self.support: Support | None = None

    async def fire(self, key: Hashable, now: datetime) -> None:
        if self.support is None:
            raise RuntimeError("a deadline fired before create_app bound the use cases")
        await self.on_due(str(key), now, self.support)


@dataclass(frozen=True)
class Timer:
    """A collection's deadlines: the poller firing them and what they do."""

    poller: TimerPoller
    deadlines: Deadlines

    @classmethod
    def of(
        cls,
        infra: Infrastructure,
        collection: AsyncCollection[dict[str, Any]] | str,
        on_due: Callable[[str, datetime, Support], Awaitable[None]],
    ) -> "Timer":
        deadlines = Deadlines(on_due)
        sweep = _settings_of(infra).timer_sweep_seconds
        return cls(infra.timer_poller(collection, deadlines.fire, sweep_seconds=sweep), deadlines)


@dataclass(frozen=True)
class SupportDeps:
    """What the service is built on: the shared infrastructure, where timelines, cases and
    sellers' inbound cases are kept, the relay publishing what the cases' writes leave in their
    outboxes, and the timers firing the deadlines of each kind of case."""

    infra: Infrastructure
    timelines: TimelineRepository
    cases: CaseRepository
    inbound: InboundCaseRepository
    relay: OutboxRelay
    timer: Timer
    inbound_timer: Timer

    @classmethod
    def on_mongo(cls, infra: Infrastructure) -> "SupportDeps":
        """Production: one document per order in each collection, a cases document holding its
        outbox and its next deadline."""
        settings = _settings_of(infra)
        cases_collection = infra.database[CASES]
        relay = infra.outbox_relay(cases_collection)
        timer = Timer.of(infra, cases_collection, escalate_cases_on_timer)
        cases = MongoCases(
            cases_collection,
            infra.locks,
            relay,
            _retention(settings),
            support_outlet(settings.topic_prefix),
            deadlines=timer.poller.stored,
        )
        timelines = MongoTimelines(infra.database[TIMELINES], infra.locks)
        inbound_collection = infra.database[INBOUND_CASES]
        inbound_timer = Timer.of(infra, inbound_collection, escalate_inbound_case_on_timer)
        inbound = MongoInboundCases(
            inbound_collection, infra.locks, deadlines=inbound_timer.poller.stored
        )
        return cls(infra, timelines, cases, inbound, relay, timer, inbound_timer)

    @classmethod
    def in_memory(cls, infra: Infrastructure) -> "SupportDeps":
        """Component tests: timelines and cases in dicts, the cases' outboxes drained by the same
        relay and their deadlines fired by the same poller, which learns them from the writes."""
        settings = _settings_of(infra)
        store = MemoryOutboxStore()
        relay = infra.relay(store, collection=CASES)
        timer = Timer.of(infra, CASES, escalate_cases_on_timer)
        cases = MemoryCases(
            store,
            relay,
            deadlines=timer.poller.stored,
            retention=_retention(settings),
            outlet=support_outlet(settings.topic_prefix),
        )
        inbound_timer = Timer.of(infra, INBOUND_CASES, escalate_inbound_case_on_timer)
        inbound = MemoryInboundCases(deadlines=inbound_timer.poller.stored)
        return cls(infra, MemoryTimelines(), cases, inbound, relay, timer, inbound_timer)


def _settings_of(infra: Infrastructure) -> SupportSettings:
    """The settings the infrastructure was built from: support's, with its deadlines."""
    if not isinstance(infra.settings, SupportSettings):
        raise TypeError(f"support runs on SupportSettings, not {type(infra.settings).__name__}")
    return infra.settings


def _retention(settings: SupportSettings) -> timedelta:
    return timedelta(seconds=settings.personal_data_retention_seconds)


def create_app(settings: SupportSettings, deps: SupportDeps | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts.

    Without ``deps``, timelines and cases are kept in the settings' database. Component tests
    pass ``SupportDeps.in_memory(build_memory_infrastructure(settings))``, their broker under
    ``TestKafkaBroker``.
    """
    deps = deps or SupportDeps.on_mongo(build_infrastructure(settings))
    count_cases_opened(deps.infra.metrics)
    support = Support(
        timelines=deps.timelines,
        cases=deps.cases,
        inbound=deps.inbound,
        first_response=timedelta(seconds=settings.first_response_seconds),
        clock=lambda: datetime.now(UTC),
        returns=ReturnPolicy(
            window_days=settings.return_window_days,
            warehouses=settings.returns_warehouses,
            pickup_days=settings.return_pickup_days,
        ),
        retention=_retention(settings),
    )
    for timer in (deps.timer, deps.inbound_timer):
        timer.deadlines.support = support
    register_subscribers(deps.infra, support)
    return build_http_app(
        deps.infra,
        workers=[deps.relay, deps.timer.poller, deps.inbound_timer.poller],
        routers=[support_router(support, settings)],
    )


log = logging.getLogger(__name__)


class TargetNotEmptyError(RuntimeError):
    """The database to rebuild into already holds timelines."""


@dataclass(frozen=True)
class RebuildReport:
    database: str
    messages: int  # read, up to the end offsets at start
    recorded: int  # became (or already were) timeline entries
    skipped: int  # malformed or schema-violating: the live consumers dead-letter these


async def rebuild_timelines(
    settings: SupportSettings, *, database: str, idle_timeout: float = 30.0
) -> RebuildReport:
    """Replay every timeline topic from its beginning into ``database`` (which must be empty);
    see ``support.entrypoints.rebuild``.

    Raises:
        TargetNotEmptyError: ``database`` already has timelines.
        TimeoutError: Kafka stopped delivering before the end offsets were reached.
    """
    provider = build_tracer_provider(f"{settings.service_name}-rebuild", None)
    mongo = build_mongo_client(settings.mongo_url, provider)
    try:
        collection = mongo[database][TIMELINES]
        if await collection.count_documents({}, limit=1):
            raise TargetNotEmptyError(f"database {database!r} already has timelines")
        timelines = MongoTimelines(collection, KeyedLock())
        counts = await replay_timelines(settings, timelines, idle_timeout=idle_timeout)
    finally:
        await mongo.close()
        provider.shutdown()
    report = RebuildReport(database, *counts)
    log.info("timelines rebuilt", extra=report.__dict__)
    return report
