"""Kafka broker factory: durable producer settings and trace propagation, in one place."""

import logging

from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider

from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_runtime.tracing import telemetry_middleware


def build_broker(
    bootstrap_servers: str,
    client_id: str,
    tracer_provider: TracerProvider,
    credentials: KafkaCredentials | None = None,
) -> KafkaBroker:
    """Create a broker whose publishes survive a broker failover and carry the trace context.

    ``acks="all"`` with idempotence means a confirmed publish is on every in-sync replica and a
    producer retry never writes a duplicate. Topics are never auto-created: they come from the
    contracts' registry, with their partition counts, so a typo fails instead of inventing one.
    The telemetry middleware (``conveyor_runtime.tracing``) gets the provider passed in, never
    the global one.

    Args:
        bootstrap_servers: ``host:port[,host:port]`` of the Kafka cluster.
        client_id: Shown in broker logs and quotas; the service name.
        tracer_provider: The process's provider, for publish and consume spans.
        credentials: The client's SASL/SCRAM principal; None for a broker without
            authentication.
    """
    return KafkaBroker(
        # FastStream wraps a string in a list, so aiokafka would read "a:1,b:2" as one host.
        bootstrap_servers.split(","),
        client_id=client_id,
        security=credentials.security() if credentials else None,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        middlewares=[telemetry_middleware(tracer_provider)],
        graceful_timeout=15.0,
        # A plain logger, so FastStream's lines go through the process's JSON handler too.
        logger=logging.getLogger("faststream"),
        # FastStream's two "Received"/"Processed" lines per message, at DEBUG so INFO drops
        # them: they cost a formatted stdout write per event, and consumer.py already counts
        # and logs what matters (retries, dead letters). FastStream's errors keep their level.
        log_level=logging.DEBUG,
    )
