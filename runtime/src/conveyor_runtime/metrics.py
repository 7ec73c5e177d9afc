"""Prometheus metrics every service exposes, on a registry owned by the service (not global).

Business counters are declared with ``count_published``: they move when the outbox relay
publishes the event that records a business fact. A handler re-run on a redelivered message
finds its change already applied and writes no new event, so each fact is counted once; the
relay's rare re-publish of the same event (a crash between publish and removal) is filtered by
event id.
"""

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# An event's payload (parsed JSON) -> the counter's label values, or None to not count it.
LabelsOf = Callable[[dict[str, Any]], Sequence[str] | None]

_REMEMBERED_EVENT_IDS = 10_000  # far more than a relay publishes between two retries of one

# Why a consumer parks messages when nothing is broken: bad input, a message a rule refuses.
# Their series start at 0 (``expect_dead_letters``): ``increase()`` cannot see a series that
# first appears at 1, so the alert would miss the first dead letter of a kind. An unexpected
# error's class (a bug) cannot be known in advance; the alert rule also fires on a new series.
EXPECTED_DEAD_LETTER_REASONS = ("ValidationError", "PermanentError")


class MessagingMetrics:
    """Messages in and out per topic; a service adds its business metrics to the same registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.consumed = Counter(
            "conveyor_messages_consumed",
            "Messages handled, by outcome (ok, dead_lettered).",
            ("topic", "outcome"),
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "conveyor_messages_dead_lettered",
            "Messages parked on a dead-letter topic, by reason class.",
            ("topic", "reason"),
            registry=self.registry,
        )
        self.retried = Counter(
            "conveyor_handler_retries",
            "Handler attempts that failed and were retried (transient or unknown errors).",
            ("topic", "kind"),
            registry=self.registry,
        )
        self.produced = Counter(
            "conveyor_messages_produced",
            "Messages published by the outbox relay.",
            ("topic",),
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "conveyor_handler_seconds",
            "Time from receiving a message to committing it, retries included.",
            ("topic",),
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "conveyor_outbox_pending",
            "Documents whose outbox still holds unpublished events, at the relay's last sweep.",
            ("collection",),
            registry=self.registry,
        )
        self.timer_deadlines = Gauge(
            "conveyor_timer_deadlines",
            "Deadlines of a collection this process's timer poller knows of and will fire (a "
            "retry after a failed firing included); 0: nothing will fire here until a write or "
            "a sweep brings one.",
            ("collection",),
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "conveyor_consumer_lag",
            "Messages of a partition not yet committed by the consumer group.",
            ("group", "topic", "partition"),
            registry=self.registry,
        )
        self.db_commands = Counter(
            "conveyor_db_commands",
            "Database commands this process sent, by command name (find, update, insert, "
            "findAndModify, delete, aggregate, getMore...); connection housekeeping (hello, "
            "ping, endSessions, authentication) is not counted.",
            ("command",),
            registry=self.registry,
        )
        self.kafka_commits = Counter(
            "conveyor_kafka_commits",
            "Consumer offset commits this process made.",
            registry=self.registry,
        )
        self.http_request_seconds = Histogram(
            "conveyor_http_request_seconds",
            "HTTP requests served, by method, route template (unmatched: no route) and status "
            "code; probes and scrapes included.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.dependency_up = Gauge(
            "conveyor_dependency_up",
            "1 when the dependency (kafka, mongo) answered the last readiness check, else 0.",
            ("dependency",),
            registry=self.registry,
        )
        self._facts: dict[str, list[tuple[Counter, LabelsOf]]] = {}
        self._counted: OrderedDict[str, None] = OrderedDict()

    def expect_dead_letters(self, topic: str) -> None:
        """Start ``topic``'s dead-letter series of the expected reasons at 0."""
        for reason in EXPECTED_DEAD_LETTER_REASONS:
            self.dead_lettered.labels(topic, reason)

    def count_published(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        labels_of: Mapping[str, LabelsOf],
    ) -> Counter:
        """Declare a business counter moved by the published events of the types in
        ``labels_of``, each mapped to the label values its payload gives."""
        counter = Counter(name, documentation, labelnames, registry=self.registry)
        for event_type, labels in labels_of.items():
            self._facts.setdefault(event_type, []).append((counter, labels))
        return counter

    def published(self, *, topic: str, event_type: str, event_id: str, payload: str) -> None:
        """The relay published an event (confirmed by the broker): count it."""
        self.produced.labels(topic).inc()
        facts = self._facts.get(event_type)
        if not facts or event_id in self._counted:
            return
        self._counted[event_id] = None
        if len(self._counted) > _REMEMBERED_EVENT_IDS:
            self._counted.popitem(last=False)
        fields = json.loads(payload)
        for counter, labels_of in facts:
            labels = labels_of(fields)
            if labels is not None:
                counter.labels(*labels).inc()
