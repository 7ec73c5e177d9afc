"""Kafka topics, created and deleted for the local stack, test fixtures and deployments.

- ``ensure_topics``: idempotent creation (existing topics are left as they are), then waits until
  every partition has a leader, so the caller can produce and subscribe at once.
- ``registry_topics``: every topic of the contracts' registry plus its dead-letter companion.

Each takes the caller's ``credentials`` (the admin principal on an authenticated broker).
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_runtime.kafka_cluster import LEADER_WAIT, RETRY_INTERVAL, admin_client

_TOPIC_ALREADY_EXISTS = 36


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic, or its partitions got no leader in time."""


@dataclass(frozen=True)
class TopicSettings:
    """How a topic is created: partitions, copies, and the configs Kafka enforces."""

    partitions: int
    replication_factor: int = 3
    min_insync_replicas: int = 2
    retention_hours: int | None = None  # the broker's default when None

    def on(self, brokers: int) -> tuple[int, dict[str, str]]:
        """The replication factor and configs on a cluster of ``brokers``: never more copies
        than brokers, and never more in sync than copies (one local broker: 1 and 1)."""
        replicas = min(self.replication_factor, brokers)
        configs = {"min.insync.replicas": str(min(self.min_insync_replicas, replicas))}
        if self.retention_hours is not None:
            configs["retention.ms"] = str(self.retention_hours * 3600 * 1000)
        return replicas, configs


async def ensure_topics(
    bootstrap: str,
    topics: Mapping[str, int | TopicSettings],
    *,
    credentials: KafkaCredentials | None = None,
) -> None:
    """Create the topics that do not exist yet and wait until all of them have leaders.

    Existing topics are left unchanged, even with another partition count: adding partitions
    would move keys to other partitions and break per-key order, so that is a deliberate,
    manual operation.

    Args:
        bootstrap: Bootstrap servers, ``host:port[,host:port...]``.
        topics: Topic name -> its settings, or only its partitions (then the default copies,
            3 and 2 in sync, capped by the cluster's size).

    Raises:
        TopicCreationError: A topic was refused, or has partitions without a leader in time.
    """
    if not topics:
        return
    admin = admin_client(bootstrap, credentials)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        brokers = len((await admin.describe_cluster())["brokers"])
        missing = []
        for name, wanted in sorted(topics.items()):
            if name in existing:
                continue
            settings = TopicSettings(wanted) if isinstance(wanted, int) else wanted
            replicas, configs = settings.on(brokers)
            missing.append(NewTopic(name, settings.partitions, replicas, topic_configs=configs))
        if missing:
            response = await admin.create_topics(missing, timeout_ms=int(LEADER_WAIT * 1000))
            _raise_for_refused(response.to_object()["topic_errors"])
        await _wait_for_leaders(admin, sorted(topics))
    finally:
        await admin.close()


async def delete_topics_with_prefix(
    bootstrap: str, prefix: str, *, credentials: KafkaCredentials | None = None
) -> int:
    """Delete every topic whose name starts with ``prefix``; how many were asked to go.

    For throwaway namespaces (a test's, a demo run's): on one small broker every partition
    costs heap and file handles, and thousands of forgotten ones exhaust it.
    """
    if not prefix:
        raise ValueError("refusing to delete every topic: give a non-empty prefix")
    admin = admin_client(bootstrap, credentials)
    try:
        await admin.start()
        doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed, timeout_ms=int(LEADER_WAIT * 1000))
        return len(doomed)
    finally:
        await admin.close()


def _raise_for_refused(topic_errors: list[dict[str, Any]]) -> None:
    # Another process may have created the topic since we listed: that is success too.
    refused = [
        f"{entry['topic']}: {entry['error_message'] or entry['error_code']}"
        for entry in topic_errors
        if entry["error_code"] not in (0, _TOPIC_ALREADY_EXISTS)
    ]
    if refused:
        raise TopicCreationError("Kafka refused to create: " + "; ".join(refused))


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LEADER_WAIT
    while True:
        leaderless = _topics_without_leaders(await admin.describe_topics(names))
        if not leaderless:
            return
        if loop.time() >= deadline:
            raise TopicCreationError(
                f"partitions without a leader after {LEADER_WAIT:.0f}s: {', '.join(leaderless)}"
            )
        await asyncio.sleep(RETRY_INTERVAL)


def _topics_without_leaders(described: list[dict[str, Any]]) -> list[str]:
    return [
        topic["topic"]
        for topic in described
        if topic["error_code"] != 0
        or not topic["partitions"]
        or any(partition["leader"] < 0 for partition in topic["partitions"])
    ]


def registry_specs() -> tuple[Any, ...]:
    """The contracts' registry (``TopicSpec``s), imported only when asked for."""
    from conveyor_contracts.topics import TOPICS

    return TOPICS


def registry_topics(prefix: str = "") -> dict[str, TopicSettings]:
    """Every topic of the contracts' registry and its dead-letter topic, as the registry sizes
    them, each name after ``prefix``.

    A dead-letter topic gets as many partitions as its topic: the dead-letter publish keeps the
    message key, so each key's failures stay together and in order, and a replay into the
    original topic can run with the same parallelism.
    """
    # Imported here, not at the top: waiting for Kafka and creating per-test topics must not
    # depend on the registry module.
    from conveyor_contracts.topics import TOPICS

    wanted: dict[str, TopicSettings] = {}
    for spec in TOPICS:
        copies = {
            "replication_factor": spec.replication_factor,
            "min_insync_replicas": spec.min_insync_replicas,
        }
        wanted[prefix + spec.name] = TopicSettings(
            spec.partitions, retention_hours=spec.retention_hours, **copies
        )
        wanted[prefix + spec.dead_letter] = TopicSettings(
            spec.partitions, retention_hours=spec.dead_letter_retention_hours, **copies
        )
    return wanted
