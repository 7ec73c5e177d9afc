"""Rebuilding every timeline from the topics' history into an empty database.

A consumer outside every group (it is assigned every partition and commits nothing, so it needs
only READ on the topics, as support itself) reads every timeline topic from the beginning up to
the end offsets it read when it started, feeding the same use case the live consumers run.
Timelines are ordered by the set of their entries, not by arrival, and entries carry only what
the messages carry (their trace id comes from the message's ``traceparent`` header), so the
rebuilt timelines equal the live ones. Cases are not rebuilt: they are decisions, kept in the
service's own database.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from conveyor_contracts.spec import TopicSpec
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options
from conveyor_runtime.mongo import KeyedLock, build_mongo_client
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from conveyor_runtime.telemetry import build_tracer_provider
from support.adapters.mongo import MongoTimelines
from support.entrypoints.kafka import TIMELINE_TOPICS, trace_id_of
from support.settings import SupportSettings
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

log = logging.getLogger(__name__)

TIMELINES = "timelines"  # the collection, in the service's database or the rebuild's


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
    """Replay every timeline topic from its beginning into ``database`` (which must be empty).

    Args:
        settings: Where Kafka and the database are, and the topic prefix.
        database: The database to build the timelines in.
        idle_timeout: Give up when no message arrives for this long before catching up.

    Raises:
        TargetNotEmptyError: ``database`` already has timelines.
        TimeoutError: Kafka stopped delivering before the end offsets were reached.
    """
    provider = build_tracer_provider(f"{settings.service_name}-rebuild", None)
    mongo = build_mongo_client(settings.mongo_url, provider)
    login = settings.kafka_credentials()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        client_id=f"{settings.service_name}-rebuild",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_options(login),
    )
    try:
        collection = mongo[database][TIMELINES]
        if await collection.count_documents({}, limit=1):
            raise TargetNotEmptyError(f"database {database!r} already has timelines")
        locks = KeyedLock()
        relay = OutboxRelay(MongoOutboxStore(collection), _never_publish, locks)
        timelines = MongoTimelines(collection, locks, relay)
        await consumer.start()
        specs = {settings.topic(spec.name): spec for spec in TIMELINE_TOPICS}
        ends = await _end_offsets(consumer, settings.kafka_bootstrap_servers, login, list(specs))
        counts = await _replay(consumer, specs, ends, timelines, idle_timeout)
    finally:
        await consumer.stop()
        await mongo.close()
        provider.shutdown()
    report = RebuildReport(database, *counts)
    log.info("timelines rebuilt", extra=report.__dict__)
    return report


async def _end_offsets(
    consumer: Any, bootstrap: str, login: KafkaCredentials | None, topics: list[str]
) -> dict[Any, int]:
    """Assign every partition of ``topics`` and read where each ends now."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="support-rebuild", **client_options(login)
    )
    await admin.start()
    try:
        described: list[dict[str, Any]] = await admin.describe_topics(topics)
    finally:
        await admin.close()
    missing = [t["topic"] for t in described if t["error_code"] != 0 or not t["partitions"]]
    if missing:
        raise RuntimeError(f"topics not found: {', '.join(sorted(missing))}")
    partitions = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    ]
    consumer.assign(partitions)
    ends: dict[Any, int] = await consumer.end_offsets(partitions)
    return ends


async def _replay(
    consumer: Any,
    specs: dict[str, TopicSpec[Any]],
    ends: dict[Any, int],
    timelines: MongoTimelines,
    idle_timeout: float,
) -> tuple[int, int, int]:
    messages = recorded = skipped = 0
    pending = {tp for tp, end in ends.items() if end > 0}
    idle_since = asyncio.get_running_loop().time()
    while pending:
        for tp in list(pending):
            if await consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
        if not pending:
            break
        batches = await consumer.getmany(*pending, timeout_ms=500)
        now = asyncio.get_running_loop().time()
        if not batches and now - idle_since > idle_timeout:
            raise TimeoutError(f"no message for {idle_timeout}s before the end offsets")
        for tp, records in batches.items():
            idle_since = now
            spec = specs[tp.topic]
            for record in records:
                if record.offset >= ends[tp]:
                    continue  # arrived after the rebuild started: the live consumers have it
                messages += 1
                try:
                    event = spec.adapter.validate_json(record.value or b"")
                except (ValidationError, UnicodeDecodeError):
                    skipped += 1
                    continue
                await record_timeline_on_order_event(
                    event, spec.name, trace_id_of(record.headers or ()), timelines
                )
                recorded += 1
    return messages, recorded, skipped
