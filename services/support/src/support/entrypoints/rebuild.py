"""Rebuilding every timeline from the topics' history into an empty database.

A consumer outside every group (it is assigned every partition and commits nothing, so it needs
only READ on the topics, as support itself) reads every timeline topic from the beginning up to
the end offsets it read when it started, feeding the same use case the live consumers run.
Timelines are ordered by the set of their entries, not by arrival, and entries carry only what
the messages carry (their trace id comes from the message's ``traceparent`` header), so the
rebuilt timelines equal the live ones. Cases are not rebuilt: they are decisions, kept in the
service's own database. This module reads the topics into any ``TimelineRepository``;
``support.app.rebuild_timelines`` gives it the empty database.
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
from support.entrypoints.kafka import TIMELINE_TOPICS, trace_id_of
from support.ports import TimelineRepository
from support.settings import SupportSettings
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildReport:
    database: str
    messages: int  # read, up to the end offsets at start
    recorded: int  # became (or already were) timeline entries
    skipped: int  # malformed or schema-violating: the live consumers dead-letter these


async def replay_timelines(
    settings: SupportSettings, timelines: TimelineRepository, *, idle_timeout: float = 30.0
) -> tuple[int, int, int]:
    """Feed every timeline topic, from its beginning up to where it ends now, to the use case
    the live consumers run, recording into ``timelines``: (messages, recorded, skipped).

    Raises:
        TimeoutError: Kafka stopped delivering before the end offsets were reached.
    """
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
        await consumer.start()
        specs = {settings.topic(spec.name): spec for spec in TIMELINE_TOPICS}
        ends = await _end_offsets(consumer, settings.kafka_bootstrap_servers, login, list(specs))
        return await _replay(consumer, specs, ends, timelines, idle_timeout)
    finally:
        await consumer.stop()


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


@dataclass
class _Tally:
    """What the replay read so far (``RebuildReport``'s counts)."""

    messages: int = 0
    recorded: int = 0
    skipped: int = 0


async def _replay(
    consumer: Any,
    specs: dict[str, TopicSpec[Any]],
    ends: dict[Any, int],
    timelines: TimelineRepository,
    idle_timeout: float,
) -> tuple[int, int, int]:
    """Feed every partition to the use case up to its end offset: (messages, recorded, skipped)."""
    tally = _Tally()
    loop = asyncio.get_running_loop()
    idle_since = loop.time()
    pending = {tp for tp, end in ends.items() if end > 0}
    while pending := await _not_caught_up(consumer, pending, ends):
        batches = await consumer.getmany(*pending, timeout_ms=500)
        now = loop.time()
        if batches:
            idle_since = now
        elif now - idle_since > idle_timeout:
            raise TimeoutError(f"no message for {idle_timeout}s before the end offsets")
        for tp, records in batches.items():
            await _feed(records, ends[tp], specs[tp.topic], timelines, tally)
    return tally.messages, tally.recorded, tally.skipped


async def _not_caught_up(consumer: Any, pending: set[Any], ends: dict[Any, int]) -> set[Any]:
    """The partitions of ``pending`` whose position is still before their end offset."""
    return {tp for tp in pending if await consumer.position(tp) < ends[tp]}


async def _feed(
    records: list[Any],
    end: int,
    spec: TopicSpec[Any],
    timelines: TimelineRepository,
    tally: _Tally,
) -> None:
    """Feed one partition's batch to the use case, up to the partition's end offset."""
    for record in records:
        if record.offset >= end:
            continue  # arrived after the rebuild started: the live consumers have it
        tally.messages += 1
        if await _record(record, spec, timelines):
            tally.recorded += 1
        else:
            tally.skipped += 1


async def _record(record: Any, spec: TopicSpec[Any], timelines: TimelineRepository) -> bool:
    """Record one message on its timeline; False when it is malformed or breaks the schema."""
    try:
        event = spec.adapter.validate_json(record.value or b"")
    except (ValidationError, UnicodeDecodeError):
        return False
    await record_timeline_on_order_event(
        event, spec.name, trace_id_of(record.headers or ()), timelines
    )
    return True
