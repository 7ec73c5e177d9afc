"""Consumer lag: how far each consumer group's committed position is behind each partition's end.

A worker of every service (started by ``build_http_app``) measures, every few seconds, the
groups and topics the service subscribed, and sets ``conveyor_consumer_lag``. A partition the
group never committed counts from its first retained message, since ``auto_offset_reset`` is
``earliest`` there. Lag that grows, or stays above zero while producers are idle, means a
consumer is stuck (a handler retrying an outage, a dead-letter publish that cannot succeed) or
too slow for its input.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from conveyor_runtime.kafka_auth import KafkaCredentials, client_options

log = logging.getLogger(__name__)

_REQUEST_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Subscription:
    """One topic a service consumes, in one consumer group (both as deployed, prefix included)."""

    group: str
    topic: str


class ConsumerLagMonitor:
    """Sets ``gauge{group,topic,partition}`` to each subscription's lag, every ``interval``."""

    def __init__(
        self,
        bootstrap: str,
        subscriptions: Sequence[Subscription],
        gauge: Gauge,
        *,
        interval_seconds: float = 15.0,
        client_id: str = "conveyor-lag",
        credentials: KafkaCredentials | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.subscriptions = subscriptions  # read at each pass: services add theirs at startup
        self.gauge = gauge
        self.interval_seconds = interval_seconds
        self.client_id = client_id
        self.auth = client_options(credentials)

    async def run(self) -> None:
        """Measure until cancelled; failures are logged and retried at the next pass."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            request_timeout_ms=_REQUEST_TIMEOUT_MS,
            **self.auth,
        )
        # Without a group: it only asks partitions for their first and end offsets.
        offsets = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=_REQUEST_TIMEOUT_MS,
            **self.auth,
        )
        try:
            await admin.start()
            await offsets.start()
            while True:
                try:
                    await self.measure(admin, offsets)
                except Exception:
                    log.exception("measuring consumer lag failed; retrying at the next pass")
                await asyncio.sleep(self.interval_seconds)
        finally:
            await offsets.stop()
            await admin.close()

    async def measure(self, admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer) -> None:
        """One pass over every subscription."""
        topics = sorted({subscription.topic for subscription in self.subscriptions})
        if not topics:
            return
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in await admin.describe_topics(topics)
            if topic["error_code"] == 0
            for partition in topic["partitions"]
        ]
        first = await offsets.beginning_offsets(partitions)
        end = await offsets.end_offsets(partitions)
        for subscription in self.subscriptions:
            mine = [tp for tp in partitions if tp.topic == subscription.topic]
            committed = await admin.list_consumer_group_offsets(subscription.group, partitions=mine)
            for tp in mine:
                position = committed[tp].offset if tp in committed else -1
                lag = end[tp] - max(position, first[tp])
                self.gauge.labels(subscription.group, tp.topic, str(tp.partition)).set(max(lag, 0))
