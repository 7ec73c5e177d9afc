"""Prometheus metrics every service exposes, on a registry owned by the service (not global)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
            "Outbox entries written but not yet published.",
            ("collection",),
            registry=self.registry,
        )
