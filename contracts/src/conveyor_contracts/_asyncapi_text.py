"""The prose of the AsyncAPI document (``_asyncapi``): what a partner reads next to the schemas."""

from typing import Any

from conveyor_contracts.principals import principal, user_name
from conveyor_contracts.spec import TopicSpec

DESCRIPTION = """\
Conveyor is the order-to-delivery mesh of a social-commerce shop (US, CA, GB): the shop \
checkout, four services (orders, inventory, shipping, support), the warehouses and \
subcontracted carriers talk only through these Kafka topics. This document is generated from \
the `conveyor-contracts` package (its Pydantic models and topic registry), whose wheel carries \
the same JSON Schemas.

**Messages.** Every value is one JSON object (UTF-8) with an envelope: `event_id` (a UUID; \
consumers dedupe on it, and a retry re-sends the same one), `event_type` (the class name, \
which tells a topic's messages apart), `occurred_at` (with a UTC offset), `correlation_id`, \
`causation_id` and `producer`. Consumers ignore fields they do not know: within v1 only \
optional fields are added; anything else is a new v2 topic. An unknown `event_type` is a dead \
letter, so consumers deploy before producers.

**Keys.** Each topic is keyed by one payload field, named in each message's Kafka binding: \
`order_id` on order topics, `sku` on stock topics, `asn_id` on sellers' inbound shipments, as \
UTF-8 bytes. One key's messages share a partition and keep their order; a message produced \
without its key may be handled out of order.

**Correlation.** The payload's `correlation_id` ties the messages of one flow together (each \
message's `correlationId`): for an order, its order id from checkout to delivery. A reply \
copies the `correlation_id` of the message it answers and names that message's `event_id` as \
its `causation_id`.

**Headers.** All optional (`MessageHeaders`): the payload is the contract. Conveyor sends \
`content-type`, `correlation_id` (the event id), `event-type` and `traceparent`. Copy the \
`traceparent` of the request you answer, so your reply continues the order's trace.

**Dead letters.** Every topic has a companion `<topic>.dlq`. A message a Conveyor service \
cannot process (not JSON, a schema violation, an unknown event type, an impossible transition) \
is parked there with its original bytes, key and headers plus the `x-dlq-*` headers \
(`DeadLetterHeaders`), and the service carries on. A valid message is never parked because a \
dependency is down. Only operators read dead letters and replay them once the cause is fixed.

**Security.** Every client authenticates with SASL/SCRAM-SHA-512 as its own principal \
(`User:<name>`; a carrier `carrier:<code>` is `carrier-<code>`). The broker denies whatever no \
ACL allows; each operation names the one principal allowed to perform it \
(`x-kafka-principal`) and the ACLs that allow it (`x-kafka-acls`), which are derived from the \
same registry as the broker's. A carrier reads and writes only its own `carrier.<code>.*` \
topics.
"""

SECURITY = (
    "SASL/SCRAM-SHA-512 on the client listener (SASL_PLAINTEXT on one machine; a deployment "
    "across networks puts SASL_SSL on it). The user name is the actor's registry name with "
    "':' spelled '-' (carrier:swiftpost is carrier-swiftpost); each partner receives its "
    "password with its account. No ACL, no access (allow.everyone.if.no.acl.found=false): a "
    "producer may WRITE its topics, a consumer READ its topics and its consumer groups, a "
    "Conveyor service WRITE the dead-letter topics of what it consumes."
)
LOCAL_SERVER = (
    "The local stack (`make up`): one broker, or three with CONVEYOR_KAFKA_BROKERS=3, with "
    "SASL/SCRAM by default. Partners connect to the address they receive with their "
    "credentials; it speaks the same protocol and security."
)
COMPOSE_SERVER = "The broker of deploy/compose.yaml, on its network; SASL/SCRAM always."
CORRELATION: dict[str, str] = {
    "description": "The envelope's correlation_id: the order (or stock flow) the message "
    "belongs to, the same on every message of the flow, replies included. Not the "
    "correlation_id header, which holds the event id of one message."
}
SERVICE_GROUP = (
    "The service's consumer group, a constant: renaming it would re-read retained history."
)
OUTSIDE_GROUP = "Any group id that starts with your user name (a prefixed ACL)."
DEAD_LETTER = (
    "The original message's value, key and headers, unchanged, plus the x-dlq-* headers: why "
    "it failed, where it was consumed and by whom. Operators replay it to its original topic "
    "once the cause is fixed; the replayed message then carries x-replayed-from."
)
DEAD_LETTER_VALUE = (
    "The original message's value, byte for byte: often not valid against the topic's "
    "schemas, which is why it is here."
)
DEAD_LETTER_KEY: dict[str, Any] = {
    "type": "string",
    "description": "The original message's key, unchanged (absent when it had none).",
    "examples": ["ord_01J9Z3K8M4QH2V"],
}


def key(field: str, about: str) -> str:
    return (
        f"The message key: the payload's {field}, as UTF-8 bytes. It keeps one {field}'s "
        f"messages on one partition, in order. {about}"
    ).strip()


def message(field: str, topics: list[str]) -> str:
    return f"Keyed by {field}. On {', '.join(topics)}."


def _events(spec: TopicSpec[Any]) -> str:
    return ", ".join(event.__name__ for event in spec.events)


def topic(spec: TopicSpec[Any]) -> str:
    return (
        f"{spec.description} Key: {spec.key}. Messages: {_events(spec)} (told apart by "
        f"event_type). {spec.partitions} partitions, {spec.replication_factor} copies, "
        f"{spec.min_insync_replicas} in sync for a confirmed publish (acks=all); kept "
        f"{spec.retention_hours} h. Produced by {spec.producer} only; consumed by "
        f"{', '.join(spec.consumers)}. Dead letters: {spec.dead_letter}."
    )


def dead_letter_topic(spec: TopicSpec[Any]) -> str:
    return (
        f"Messages of {spec.name} its consumers could not process, parked with the reason; "
        f"same partitions and key, so one key's failures stay in order. Kept "
        f"{spec.dead_letter_retention_hours} h for an operator's replay."
    )


def send(spec: TopicSpec[Any]) -> str:
    return (
        f"{spec.producer} publishes {_events(spec)}, keyed by {spec.key}. Only "
        f"{principal(spec.producer)} may WRITE {spec.name}."
    )


def receive(spec: TopicSpec[Any], consumer: str, group: str | None) -> str:
    where = (
        f"in consumer group {group}"
        if group is not None
        else f"in consumer groups whose id starts with {user_name(consumer)}"
    )
    return (
        f"{consumer} consumes {spec.name} {where}. Ignore unknown fields; dedupe on event_id "
        "(delivery is at least once)."
    )


def park(spec: TopicSpec[Any], consumer: str) -> str:
    return (
        f"{consumer} parks a message of {spec.name} it cannot process, with its original bytes, "
        "key and headers and the x-dlq-* headers, then carries on."
    )


def operator(spec: TopicSpec[Any]) -> str:
    return (
        f"Operators read {spec.dead_letter} and replay its messages to {spec.name} "
        "(`make dead-letters`), as the broker's super user: no partner may read it."
    )


def tag(actor: str, who: str) -> str:
    return f"What {actor} does, as the principal {who}."
