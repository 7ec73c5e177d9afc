"""OpenTelemetry setup: one TracerProvider per process, built by the composition root."""

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter


def build_tracer_provider(
    service_name: str,
    otlp_endpoint: str | None,
    *,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """Build a provider that exports to OTLP/HTTP (and/or a given exporter, for tests).

    The provider is returned, never installed globally: everything that traces takes it as an
    argument, so two services (or two tests) in one process keep their traces apart.

    Args:
        service_name: The ``service.name`` resource attribute, e.g. ``"orders"``.
        otlp_endpoint: Collector base URL such as ``http://127.0.0.1:4318``; ``None`` disables it.
        exporter: An extra exporter, typically an ``InMemorySpanExporter`` in tests.
    """
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if otlp_endpoint:
        endpoint = f"{otlp_endpoint.rstrip('/')}/v1/traces"
        # Sized for a flash sale: the default queue (2048 spans) filled and dropped spans at a
        # few hundred orders a second; a larger export batch also means fewer requests.
        provider.add_span_processor(
            BatchSpanProcessor(
                OTLPSpanExporter(endpoint=endpoint),
                max_queue_size=65536,
                max_export_batch_size=2048,
                schedule_delay_millis=1000,
            )
        )
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    return provider
