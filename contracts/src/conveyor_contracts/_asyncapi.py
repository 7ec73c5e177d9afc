"""The AsyncAPI 3.0 document of the whole mesh, built from the topic registry and the models.

Built here rather than by FastStream's generator, which describes one channel per subscriber
with the topic's union as one message and has no place for what a partner codes against: one
message per event with its example, the Kafka key, the headers, the dead-letter topics and the
ACLs. Nothing here imports FastStream, so the document can be rebuilt from the installed wheel.

Layout: a channel per topic (id = address = topic name) and per dead-letter topic
(``<topic>.dlq``); a message per event class (``components/messages/<Event>``, shared by every
topic carrying it, e.g. all carriers' request topics) plus ``DeadLetter``; an operation per
actor and topic, id ``<user name>.<send|receive>.<topic>``, each naming its principal
(``x-kafka-principal``) and the ACLs that allow it (``x-kafka-acls``, the rules
``conveyor_runtime.kafka_acl`` derives from the same registry).
"""

from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from conveyor_contracts import _asyncapi_text as text
from conveyor_contracts.envelope import Envelope
from conveyor_contracts.examples import dead_letter_example, headers_example, payload_example
from conveyor_contracts.groups import SERVICE_GROUPS
from conveyor_contracts.headers import DeadLetterHeaders, MessageHeaders
from conveyor_contracts.principals import OPERATOR, principal, user_name
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import TOPICS

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = {"bindingVersion": "0.5.0"}
SECURITY_SCHEME = "scram512"
# What correlates the messages of one flow: the envelope's correlation_id, in the payload. It
# is the order id along an order's whole chain (checkout to delivery, replies included), and
# the SKU, receipt or ASN of a stock flow, on every topic. Not the ``correlation_id`` header:
# FastStream's message-id header, which Conveyor fills with the event id (one per message, so
# it correlates nothing). Not ``traceparent``: its span id changes at every hop, and an outside
# producer may drop it. Not ``order_id``: stock and inbound topics have none.
CORRELATION = "flow"
DEAD_LETTER = "DeadLetter"
SERVERS = {
    "local": {
        "host": "127.0.0.1:9092",
        "protocol": "kafka",
        "title": "Local stack",
        "description": text.LOCAL_SERVER,
    },
    "compose": {
        "host": "kafka:9092",
        "protocol": "kafka",
        "title": "Compose network",
        "description": text.COMPOSE_SERVER,
    },
}

Json = dict[str, Any]


def _ref(*path: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(path)}  # registry names hold neither '~' nor '/'


def _summary(model: type[BaseModel]) -> str:
    paragraph = (model.__doc__ or model.__name__).strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _keys() -> dict[type[Envelope], str]:
    """The Kafka key field of each event: the key of every topic that carries it."""
    keys: dict[type[Envelope], str] = {}
    for spec in TOPICS:
        for event in spec.events:
            if keys.setdefault(event, spec.key) != spec.key:
                raise RuntimeError(f"{event.__name__} is carried on topics with different keys")
    return keys


def _key_schema(event: type[Envelope], key: str) -> Json:
    field = {k: v for k, v in event.model_json_schema()["properties"][key].items() if k != "title"}
    return field | {"description": text.key(key, field.get("description", ""))}


def _message(event: type[Envelope], key: str, topics: list[str]) -> Json:
    payload = payload_example(event)
    name = event.__name__
    return {
        "name": name,
        "title": name,
        "summary": _summary(event),
        "description": text.message(key, topics),
        "contentType": "application/json",
        "headers": _ref("components", "schemas", MessageHeaders.__name__),
        "payload": _ref("components", "schemas", name),
        "correlationId": _ref("components", "correlationIds", CORRELATION),
        "bindings": {"kafka": {"key": _key_schema(event, key), **KAFKA_BINDING}},
        "examples": [
            {
                "name": name,
                "summary": f"{name} as {payload['producer']} publishes it.",
                "headers": headers_example(payload),
                "payload": payload,
            }
        ],
    }


def _dead_letter_message() -> Json:
    headers, value = dead_letter_example()
    return {
        "name": DEAD_LETTER,
        "title": DEAD_LETTER,
        "summary": "A message a consumer could not process, parked with the reason.",
        "description": text.DEAD_LETTER,
        "headers": _ref("components", "schemas", DeadLetterHeaders.__name__),
        "payload": {"description": text.DEAD_LETTER_VALUE},
        "correlationId": _ref("components", "correlationIds", CORRELATION),
        "bindings": {"kafka": {"key": text.DEAD_LETTER_KEY, **KAFKA_BINDING}},
        "examples": [
            {
                "name": "OrderPlacedWithoutLines",
                "summary": "An OrderPlaced without lines, parked by the orders service.",
                "headers": headers,
                "payload": value,
            }
        ],
    }


def _topic_binding(spec: TopicSpec[Any], retention_hours: int) -> Json:
    return {
        "kafka": {
            "partitions": spec.partitions,
            "replicas": spec.replication_factor,
            "topicConfiguration": {
                "cleanup.policy": ["delete"],
                "retention.ms": retention_hours * 3600 * 1000,
                "min.insync.replicas": spec.min_insync_replicas,
            },
            **KAFKA_BINDING,
        }
    }


def _channels(spec: TopicSpec[Any]) -> dict[str, Json]:
    return {
        spec.name: {
            "address": spec.name,
            "title": spec.name,
            "summary": spec.description,
            "description": text.topic(spec),
            "messages": {
                event.__name__: _ref("components", "messages", event.__name__)
                for event in spec.events
            },
            "bindings": _topic_binding(spec, spec.retention_hours),
        },
        spec.dead_letter: {
            "address": spec.dead_letter,
            "title": spec.dead_letter,
            "summary": f"Dead letters of {spec.name}.",
            "description": text.dead_letter_topic(spec),
            "messages": {DEAD_LETTER: _ref("components", "messages", DEAD_LETTER)},
            "bindings": _topic_binding(spec, spec.dead_letter_retention_hours),
        },
    }


def _acl(actor: str, operation: str, resource: str, name: str, pattern: str = "literal") -> Json:
    return {
        "principal": principal(actor),
        "operation": operation,
        "resourceType": resource,
        "resourceName": name,
        "patternType": pattern,
    }


def _operation(
    actor: str, action: str, channel: str, messages: Iterable[str], acls: list[Json], about: str
) -> tuple[str, Json]:
    user = user_name(actor)
    operation: Json = {
        "action": action,
        "channel": _ref("channels", channel),
        "messages": [_ref("channels", channel, "messages", name) for name in messages],
        "title": f"{user} {action}s {channel}",
        "description": about,
        "security": [_ref("components", "securitySchemes", SECURITY_SCHEME)],
        "tags": [{"name": user}],
        "x-kafka-principal": principal(actor),
        "x-kafka-acls": acls,
    }
    return f"{user}.{action}.{channel}", operation


def _group_binding(consumer: str) -> Json:
    group = SERVICE_GROUPS.get(consumer)
    if group is not None:
        schema = {"type": "string", "const": group, "description": text.SERVICE_GROUP}
    else:
        user = user_name(consumer)  # letters, digits and '-': nothing to escape in a pattern
        schema = {"type": "string", "pattern": f"^{user}", "description": text.OUTSIDE_GROUP}
    return {"kafka": {"groupId": schema, **KAFKA_BINDING}}


def _operations(spec: TopicSpec[Any]) -> dict[str, Json]:
    events = [event.__name__ for event in spec.events]
    topic_acl = _acl(spec.producer, "WRITE", "topic", spec.name)
    operations = dict(
        [_operation(spec.producer, "send", spec.name, events, [topic_acl], text.send(spec))]
    )
    for consumer in spec.consumers:
        group = SERVICE_GROUPS.get(consumer)
        group_acl = (
            _acl(consumer, "READ", "group", group)
            if group is not None
            else _acl(consumer, "READ", "group", user_name(consumer), "prefixed")
        )
        acls = [_acl(consumer, "READ", "topic", spec.name), group_acl]
        op_id, operation = _operation(
            consumer, "receive", spec.name, events, acls, text.receive(spec, consumer, group)
        )
        operations[op_id] = operation | {"bindings": _group_binding(consumer)}
        if group is not None:  # a Conveyor service parks what it cannot process
            dlq_acl = [_acl(consumer, "WRITE", "topic", spec.dead_letter)]
            about = text.park(spec, consumer)
            op_id, operation = _operation(
                consumer, "send", spec.dead_letter, [DEAD_LETTER], dlq_acl, about
            )
            operations[op_id] = operation
    op_id, operation = _operation(
        OPERATOR, "receive", spec.dead_letter, [DEAD_LETTER], [], text.operator(spec)
    )
    operations[op_id] = operation
    return operations


def _schemas() -> dict[str, Json]:
    models: list[type[BaseModel]] = [*_keys(), MessageHeaders, DeadLetterHeaders]
    _, top = models_json_schema(
        [(model, "validation") for model in models], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Json] = top["$defs"]
    return schemas


def _tags() -> list[Json]:
    actors = {spec.producer for spec in TOPICS} | {c for spec in TOPICS for c in spec.consumers}
    return [
        {"name": user_name(actor), "description": text.tag(actor, principal(actor))}
        for actor in sorted(actors | {OPERATOR}, key=user_name)
    ]


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as plain JSON data (``snapshots.render`` writes it)."""
    keys = _keys()
    carried: dict[type[Envelope], list[str]] = {}
    for spec in TOPICS:
        for event in spec.events:
            carried.setdefault(event, []).append(spec.name)
    messages = {event.__name__: _message(event, keys[event], carried[event]) for event in keys}
    messages[DEAD_LETTER] = _dead_letter_message()
    channels: dict[str, Json] = {}
    operations: dict[str, Json] = {}
    for spec in TOPICS:
        channels |= _channels(spec)
        operations |= _operations(spec)
    security = [_ref("components", "securitySchemes", SECURITY_SCHEME)]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Conveyor event mesh",
            "version": version("conveyor-contracts"),
            "description": text.DESCRIPTION,
            "tags": _tags(),
        },
        "defaultContentType": "application/json",
        "servers": {
            name: server | {"security": security, "bindings": {"kafka": KAFKA_BINDING}}
            for name, server in SERVERS.items()
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": _schemas(),
            "messages": messages,
            "correlationIds": {
                CORRELATION: {"location": "$message.payload#/correlation_id"} | text.CORRELATION
            },
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "scramSha512", "description": text.SECURITY}
            },
        },
    }
