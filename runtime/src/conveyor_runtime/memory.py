"""In-memory stand-ins for the database, for component tests of a whole service.

A component test boots a service's real app (its subscribers, use cases, outbox relay, HTTP
API) with its repositories in memory and its broker under FastStream's ``TestKafkaBroker``:
nothing leaves the process. What differs from production is only where state is kept; the
relay that drains the outboxes and the consumer that parks bad input are the production ones.
"""

from collections.abc import Hashable, Mapping, Sequence

from opentelemetry.sdk.trace.export import SpanExporter

from conveyor_runtime.broker import build_broker
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.outbox import OutboxMessage
from conveyor_runtime.service import Infrastructure
from conveyor_runtime.settings import ServiceSettings
from conveyor_runtime.telemetry import build_tracer_provider


class MemoryOutboxStore:
    """The outboxes of one in-memory collection, drained by an ``OutboxRelay`` as Mongo's are.

    A repository appends a write's events here, then tells the relay (``notify``); the relay
    reads them, publishes them in order and removes exactly those, so events appended while a
    publish is under way stay for the next flush.
    """

    def __init__(self) -> None:
        self._outboxes: dict[Hashable, list[OutboxMessage]] = {}

    @property
    def outboxes(self) -> Mapping[Hashable, list[OutboxMessage]]:
        """Each document's pending events (every event it emitted, when no relay drains it)."""
        return self._outboxes

    def append(self, document_id: Hashable, events: Sequence[OutboxMessage]) -> None:
        """Add a write's events to the document's outbox (an empty one is still created)."""
        self._outboxes.setdefault(document_id, []).extend(events)

    async def pending(self, document_id: Hashable) -> list[OutboxMessage]:
        return list(self._outboxes.get(document_id, []))

    async def remove(self, document_id: Hashable, messages: list[OutboxMessage]) -> None:
        published = {message.event_id for message in messages}
        outbox = self._outboxes.get(document_id, [])
        outbox[:] = [message for message in outbox if message.event_id not in published]

    async def documents_with_pending(self) -> list[Hashable]:
        return [document_id for document_id, outbox in self._outboxes.items() if outbox]


def build_memory_infrastructure(
    settings: ServiceSettings, *, span_exporter: SpanExporter | None = None
) -> Infrastructure:
    """A service's infrastructure without a database, its broker meant for ``TestKafkaBroker``.

    The broker is the production one (middleware, publish options), unconnected: wrap it in
    ``TestKafkaBroker`` before the app starts, or it would connect to the settings' servers.
    There is no consumer lag monitor (it opens connections of its own) and readiness checks
    the broker only. Repositories keep their outboxes in a ``MemoryOutboxStore`` each, drained
    by ``Infrastructure.relay``.
    """
    provider = build_tracer_provider(
        settings.service_name, settings.otlp_endpoint, exporter=span_exporter
    )
    return Infrastructure(
        settings=settings,
        tracer_provider=provider,
        broker=build_broker(
            settings.kafka_bootstrap_servers,
            settings.service_name,
            provider,
            settings.kafka_credentials(),
        ),
        mongo=None,
        metrics=MessagingMetrics(),
        measure_lag=False,
    )
