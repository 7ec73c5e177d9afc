"""The simulators' own Kafka client and tracing: outside clients depend on the contracts only."""

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter


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


def broker(bootstrap: str, client_id: str, provider: TracerProvider) -> KafkaBroker:
    # acks="all" + idempotence: a confirmed publish survives a failover and is never duplicated
    # by a retry, so the duplicates consumers see are only the ones the simulator means.
    return KafkaBroker(
        bootstrap.split(","),  # a cluster's list: FastStream would pass the string as one host
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=provider)],
    )
