"""The simulators' own Kafka client and tracing: outside clients depend on the contracts only."""

import json
from pathlib import Path

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.security import SASLScram512
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from conveyor_contracts.principals import user_name


def tracer_provider(
    service_name: str, otlp_endpoint: str | None, exporter: SpanExporter | None = None
) -> TracerProvider:
    """A provider of its own (never the global one), so two simulators in a process stay apart."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if otlp_endpoint:
        endpoint = f"{otlp_endpoint.rstrip('/')}/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    return provider


def credentials(path: Path | None, actor: str) -> SASLScram512 | None:
    """The actor's SASL/SCRAM-SHA-512 login from a credentials file (the local stack's
    ``kafka/credentials.json``: user name -> password), or None for a broker without
    authentication. A real carrier is given only its own password; the simulators play them
    all, so they read the stack's file."""
    if path is None:
        return None
    passwords: dict[str, str] = json.loads(path.read_text())
    name = user_name(actor)
    return SASLScram512(name, passwords[name])


def broker(
    bootstrap: str,
    client_id: str,
    provider: TracerProvider,
    security: SASLScram512 | None = None,
) -> KafkaBroker:
    # acks="all" + idempotence: a confirmed publish survives a failover and is never duplicated
    # by a retry, so the duplicates consumers see are only the ones the simulator means.
    return KafkaBroker(
        bootstrap.split(","),  # a cluster's list: FastStream would pass the string as one host
        client_id=client_id,
        security=security,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=provider)],
    )
