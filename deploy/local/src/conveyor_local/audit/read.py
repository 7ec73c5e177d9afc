"""What the invariant auditor reads of a run: its topics, its databases, its groups' lag.

Topics are read from their beginning to the end offsets they have when the read starts, by a
consumer without a group: the audit commits nothing and never joins (or rebalances) a group of
the run. Databases are read with projections of the fields the checks need.
"""

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Gauge
from pymongo import AsyncMongoClient

from conveyor_contracts.groups import SERVICE_GROUPS
from conveyor_contracts.topics import TOPICS
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options
from conveyor_runtime.lag import ConsumerLagMonitor, Subscription
from conveyor_runtime.outbox import OUTBOX_FIELD

SERVICES = ("orders", "inventory", "shipping", "support")  # databases <prefix><service>
_FETCH_RECORDS = 10_000
_REQUEST_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Record:
    """One message as it sits in its partition."""

    topic: str  # without the run's prefix: the registry's name
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    behind: int


@dataclass(frozen=True)
class Pending:
    """A document with outbox entries nobody has published yet."""

    database: str
    collection: str
    document_id: str
    event_types: tuple[str, ...]


@dataclass
class Snapshot:
    records: dict[str, list[Record]] = field(default_factory=dict)  # topic -> in offset order
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "db.collection"
    lag: list[Lag] = field(default_factory=list)  # every measured partition, 0 included
    pending: list[Pending] = field(default_factory=list)
    documents_scanned: int = 0  # for outboxes
    parsed: dict[str, list[Any]] = field(default_factory=dict)  # topic -> its events, once read

    def topic(self, name: str) -> list[Record]:
        return self.records.get(name, [])

    def collection(self, service: str, name: str) -> list[dict[str, Any]]:
        return self.documents.get(f"{service}.{name}", [])


# The fields each check needs, per service collection; the rest (addresses, history) stays.
PROJECTIONS: dict[tuple[str, str], dict[str, int]] = {
    ("orders", "orders"): {"status": 1},
    ("inventory", "stock"): {
        "warehouse_id": 1, "sku": 1, "on_hand": 1, "reserved": 1, "available": 1,
        "holds": 1, "applied": 1,
    },
    ("inventory", "reservations"): {
        "order_id": 1, "reservation_id": 1, "status": 1, "allocations": 1, "committed": 1,
        "returned": 1,
    },
    ("shipping", "fulfilments"): {
        "shipments.shipment_id": 1, "shipments.status": 1, "shipments.carrier_code": 1,
        "shipments.tracking_number": 1, "shipments.returning.rma_id": 1,
    },
    ("support", "cases"): {
        "cases.case_id": 1, "cases.kind": 1, "cases.status": 1, "cases.settlement.action": 1,
    },
}  # fmt: skip


async def read_topics(
    kafka: str, prefix: str, credentials: KafkaCredentials | None = None
) -> dict[str, list[Record]]:
    """Every message of every topic named ``prefix``..., up to the end offsets at the start."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka,
        client_id="conveyor-audit",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=_REQUEST_TIMEOUT_MS,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **client_options(credentials),
    )
    admin = _admin(kafka, credentials)
    await admin.start()
    await consumer.start()
    try:
        names = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in (await admin.describe_topics(names) if names else [])
            if topic["error_code"] == 0
            for partition in topic["partitions"]
        ]
        records: dict[str, list[Record]] = {name.removeprefix(prefix): [] for name in names}
        if not partitions:
            return records
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        # An explicit seek: seek_to_beginning only asks for a reset, which a reset the
        # assignment started may overtake (positions then start at the end).
        for tp, first in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, first)
        left = {tp for tp in partitions if await consumer.position(tp) < end[tp]}
        while left:
            batches = await consumer.getmany(*left, timeout_ms=1000, max_records=_FETCH_RECORDS)
            for tp, batch in batches.items():
                for message in batch:
                    if message.offset >= end[tp]:
                        continue  # written after the audit began: not this snapshot's
                    records[tp.topic.removeprefix(prefix)].append(
                        Record(
                            topic=tp.topic.removeprefix(prefix),
                            partition=tp.partition,
                            offset=message.offset,
                            key=message.key.decode("utf-8", "replace") if message.key else None,
                            value=message.value or b"",
                            headers={
                                name: value.decode("utf-8", "replace")
                                for name, value in message.headers
                            },
                        )
                    )
            left = {tp for tp in left if await consumer.position(tp) < end[tp]}
        for batch in records.values():
            batch.sort(key=lambda record: (record.partition, record.offset))
        return records
    finally:
        await consumer.stop()
        await admin.close()


async def read_documents(
    mongo: AsyncMongoClient[dict[str, Any]], prefix: str
) -> dict[str, list[dict[str, Any]]]:
    async def one(service: str, name: str, fields: dict[str, int]) -> list[dict[str, Any]]:
        return await mongo[prefix + service][name].find({}, fields).to_list()

    keys = list(PROJECTIONS)
    found = await asyncio.gather(*(one(*key, PROJECTIONS[key]) for key in keys))
    return {
        f"{service}.{name}": documents
        for (service, name), documents in zip(keys, found, strict=True)
    }


async def read_outboxes(
    mongo: AsyncMongoClient[dict[str, Any]], prefix: str
) -> tuple[list[Pending], int]:
    """Documents of every collection of the run's databases whose outbox is not empty (the
    relay's own query), and how many documents were looked at."""
    pending: list[Pending] = []
    scanned = 0
    for service in SERVICES:
        database = mongo[prefix + service]
        for name in sorted(await database.list_collection_names()):
            collection = database[name]
            scanned += await collection.count_documents({})
            cursor = collection.find(
                {f"{OUTBOX_FIELD}.0": {"$exists": True}}, {f"{OUTBOX_FIELD}.event_type": 1}
            )
            async for document in cursor:
                types = tuple(item.get("event_type", "?") for item in document[OUTBOX_FIELD])
                pending.append(Pending(prefix + service, name, str(document["_id"]), types))
    return pending, scanned


async def read_lag(
    kafka: str, prefix: str, credentials: KafkaCredentials | None = None
) -> list[Lag]:
    """Every consumer group of the run (its id starts with the prefix), on every partition of
    the topics it committed on or, for a service's group, subscribes to by the registry."""
    admin = _admin(kafka, credentials)
    offsets = AIOKafkaConsumer(
        bootstrap_servers=kafka,
        client_id="conveyor-audit",
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=_REQUEST_TIMEOUT_MS,
        **client_options(credentials),
    )
    await admin.start()
    await offsets.start()
    try:
        # Each group as (group id, protocol type).
        listed: list[tuple[str, str]] = await admin.list_consumer_groups()
        groups = sorted(group for group, _ in listed if group.startswith(prefix))
        subscribed = _registry_subscriptions(prefix)
        subscriptions: list[Subscription] = []
        for group in groups:
            topics = {tp.topic for tp in await admin.list_consumer_group_offsets(group)}
            topics |= subscribed.get(group, set())
            subscriptions += [Subscription(group, topic) for topic in sorted(topics)]
        # The runtime's own lag measure, into a gauge of the audit's own (not the process's).
        registry = CollectorRegistry()
        gauge = Gauge("audit_lag", "lag", ["group", "topic", "partition"], registry=registry)
        await ConsumerLagMonitor(kafka, subscriptions, gauge).measure(admin, offsets)
        return [
            Lag(
                sample.labels["group"],
                sample.labels["topic"].removeprefix(prefix),
                int(sample.labels["partition"]),
                int(sample.value),
            )
            for metric in registry.collect()
            for sample in metric.samples
        ]
    finally:
        await offsets.stop()
        await admin.close()


def _admin(kafka: str, credentials: KafkaCredentials | None) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=kafka,
        client_id="conveyor-audit",
        request_timeout_ms=_REQUEST_TIMEOUT_MS,
        **client_options(credentials),
    )


def _registry_subscriptions(prefix: str) -> dict[str, set[str]]:
    """Service group (as deployed) -> the topics the registry says it consumes."""
    subscribed: dict[str, set[str]] = defaultdict(set)
    for spec in TOPICS:
        for consumer in spec.consumers:
            if consumer in SERVICE_GROUPS:
                subscribed[prefix + SERVICE_GROUPS[consumer]].add(prefix + spec.name)
    return subscribed


async def quiet(
    kafka: str,
    mongo: AsyncMongoClient[dict[str, Any]],
    prefix: str,
    credentials: KafkaCredentials | None = None,
) -> bool:
    """Whether every group of the run has consumed everything and every outbox is empty."""
    lag = await read_lag(kafka, prefix, credentials)
    if any(entry.behind for entry in lag):
        return False
    pending, _ = await read_outboxes(mongo, prefix)
    return not pending
