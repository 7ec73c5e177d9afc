"""The AsyncAPI document of the whole mesh, generated with FastStream's own specification support.

Only the snapshot command imports this module: the contracts package itself must not import
FastStream (data only). The broker here is never connected; it exists to describe, per topic,
one publisher (the producer) and one subscriber per consumer, with the topic's event union.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512
from faststream.specification import AsyncAPI

from conveyor_contracts.groups import SERVICE_GROUPS
from conveyor_contracts.principals import principal
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import TOPICS

DESCRIPTION = (
    "Conveyor, the order-to-delivery mesh of a social-commerce shop (US, CA, GB): the shop "
    "checkout, four services (orders, inventory, shipping, support), warehouses and "
    "subcontracted carriers talk only through these Kafka topics. Every message is JSON with an "
    "envelope (event_id, event_type, occurred_at, correlation_id, causation_id, producer); "
    "event_type tells the events of a topic apart. Consumers ignore unknown fields; within v1 "
    "only optional fields are added. Every topic has a dead-letter companion '<topic>.dlq'. "
    "Each carrier reads and writes only its own carrier.<code>.* topics. Every client "
    "authenticates with SASL/SCRAM-SHA-512 as its own principal, and the broker allows each "
    "operation only to the principal named by its x-kafka-principal (its consumer group too)."
)
SECURITY_SCHEME = "scram512"  # the name FastStream gives SASL/SCRAM-SHA-512


def _about(spec: TopicSpec[Any]) -> str:
    events = ", ".join(event.__name__ for event in spec.events)
    return (
        f"{spec.description} Key: {spec.key}. Partitions: {spec.partitions}, "
        f"{spec.replication_factor} copies, {spec.min_insync_replicas} in sync for a "
        f"confirmed publish; kept {spec.retention_hours} h. "
        f"Produced by {spec.producer}; consumed by {', '.join(spec.consumers)}. "
        f"Messages: {events}. Dead letters: {spec.dead_letter} "
        f"(kept {spec.dead_letter_retention_hours} h)."
    )


def _handler(message: Any) -> Callable[[Any], Awaitable[None]]:
    async def handle(event: Any) -> None:  # never runs: its annotation carries the schema
        return None

    handle.__annotations__["event"] = message
    return handle


OWN_READ = ":reads"  # the title's suffix for a producer consuming its own topic


def build_broker() -> KafkaBroker:
    """A never-connected broker declaring every topic's producer and consumers."""
    broker = KafkaBroker(
        "kafka:9092",
        description="Conveyor's Kafka cluster.",
        # Only the scheme reaches the document; the broker never connects, so no real secret.
        security=SASLScram512(username="<principal>", password="<password>"),
    )
    for spec in TOPICS:
        broker.publisher(
            spec.name,
            schema=spec.message,
            title=f"{spec.name}:{spec.producer}",
            description=f"{spec.producer} publishes. {_about(spec)}",
        )
        for consumer in spec.consumers:
            group = SERVICE_GROUPS.get(consumer)
            # A producer that reads its own topic back (support's timelines) needs a title of
            # its own: two operations with one title would be one channel in the document.
            own = OWN_READ if consumer == spec.producer else ""
            broker.subscriber(
                spec.name,
                group_id=group,
                title=f"{spec.name}:{consumer}{own}",
                description=f"{consumer} consumes (group {group or 'its own'}). {_about(spec)}",
            )(_handler(spec.message))
    return broker


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as plain JSON data."""
    spec = AsyncAPI(
        build_broker(), title="Conveyor event mesh", version="1", description=DESCRIPTION
    )
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    # FastStream declares the scheme on the server only: each operation says who may use it.
    # Operation ids are the titles above, "<topic>:<actor>[:reads]" (topic names hold no colon).
    for operation_id, operation in document["operations"].items():
        actor = operation_id.split(":", 1)[1].removesuffix(OWN_READ)
        operation["security"] = [{"$ref": f"#/components/securitySchemes/{SECURITY_SCHEME}"}]
        operation["x-kafka-principal"] = principal(actor)
    return document
