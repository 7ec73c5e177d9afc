"""Composition root: the only place the support service is wired together."""

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from conveyor_contracts.topics import SUPPORT_CASES, SUPPORT_REFUNDS
from conveyor_runtime.mongo import KeyedLock, build_mongo_client
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from conveyor_runtime.telemetry import build_tracer_provider
from support.adapters.mongo import TIMELINES, MongoCases, MongoTimelines
from support.domain.aftersales import ReturnPolicy
from support.entrypoints.http import support_router
from support.entrypoints.kafka import register_subscribers
from support.entrypoints.metrics import count_cases_opened
from support.entrypoints.rebuild import replay_timelines
from support.ports import Topics
from support.settings import SupportSettings
from support.usecases.context import Support
from support.usecases.escalate_cases_on_timer import escalate_cases_on_timer


def create_app(settings: SupportSettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts."""
    infra = infra or build_infrastructure(settings)
    cases_collection = infra.database["cases"]
    cases_relay = infra.outbox_relay(cases_collection)
    count_cases_opened(infra.metrics)
    timelines_collection = infra.database[TIMELINES]
    # Timelines emit nothing; their relay only satisfies the shared write path and never runs.
    timelines_relay = infra.outbox_relay(timelines_collection)

    async def fire(order_id: Hashable, now: datetime) -> None:
        await escalate_cases_on_timer(str(order_id), now, support)

    poller = infra.timer_poller(cases_collection, fire, sweep_seconds=settings.timer_sweep_seconds)
    retention = timedelta(seconds=settings.personal_data_retention_seconds)
    support = Support(
        timelines=MongoTimelines(timelines_collection, infra.locks, timelines_relay),
        cases=MongoCases(
            cases_collection, infra.locks, cases_relay, retention, deadlines=poller.stored
        ),
        topics=Topics(
            cases=settings.topic(SUPPORT_CASES.name), refunds=settings.topic(SUPPORT_REFUNDS.name)
        ),
        first_response=timedelta(seconds=settings.first_response_seconds),
        clock=lambda: datetime.now(UTC),
        returns=ReturnPolicy(
            window_days=settings.return_window_days,
            warehouses=settings.returns_warehouses,
            pickup_days=settings.return_pickup_days,
        ),
        retention=retention,
    )
    register_subscribers(infra, support)
    return build_http_app(
        infra, workers=[cases_relay, poller], routers=[support_router(support, settings)]
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


async def _never_publish(message: OutboxMessage) -> None:  # timelines emit no events
    raise AssertionError(f"a timeline has no events to publish: {message.event_type}")


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
        locks = KeyedLock()
        relay = OutboxRelay(MongoOutboxStore(collection), _never_publish, locks)
        timelines = MongoTimelines(collection, locks, relay)
        counts = await replay_timelines(settings, timelines, idle_timeout=idle_timeout)
    finally:
        await mongo.close()
        provider.shutdown()
    report = RebuildReport(database, *counts)
    log.info("timelines rebuilt", extra=report.__dict__)
    return report
