"""Kafka principals and ACLs, derived from the contracts' topic registry and nothing else.

The registry already says who writes and who reads each topic (``TopicSpec.producer`` and
``consumers``); ``registry_acls`` turns that into the broker's ACLs, so what Kafka enforces can
never drift from what the contracts document:

- the producer may WRITE (and so DESCRIBE) the topic;
- each consumer may READ the topic and its own consumer group;
- the topic's ``.dlq`` companion is written only by the services that consume the topic
  (a consumer group's service parks what it could not process); replays are an operator's
  tool and run as the admin.

Principals are ``User:<name>`` with the actor's registry name, a carrier's ``carrier:<code>``
spelled ``carrier-<code>`` (``conveyor_contracts.principals``). A service's group
is its registry group id, matched literally; an outside actor names its own groups, so it gets
every group starting with its principal name (``carrier-swiftpost``, ``warehouse-returns-…``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from conveyor_contracts.groups import SERVICE_GROUPS
from conveyor_contracts.principals import principal, user_name

ADMIN = "admin"  # provisioning and operator tools; a super user of the broker
BROKER = "broker"  # the brokers' own principal between themselves; a super user too


class Resource(IntEnum):
    """Kafka's ResourceType codes (the protocol's numbers)."""

    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):
    """Kafka's PatternType codes."""

    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    """Kafka's AclOperation codes; READ and WRITE imply DESCRIBE."""

    READ = 3
    WRITE = 4
    DESCRIBE = 8


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW rule: ``principal`` may ``operation`` on ``resource`` ``name`` (``pattern``)."""

    principal: str  # "User:orders"
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation

    def __str__(self) -> str:
        prefixed = "*" if self.pattern is Pattern.PREFIXED else ""
        return (
            f"{self.principal} {self.operation.name} {self.resource.name.lower()} "
            f"{self.name}{prefixed}"
        )


def registry_actors(topics: Iterable[Any]) -> list[str]:
    """Every producer and consumer the registry names, as SCRAM user names, sorted."""
    names = {spec.producer for spec in topics} | {c for spec in topics for c in spec.consumers}
    return sorted(user_name(actor) for actor in names)


def registry_acls(topics: Iterable[Any], prefix: str = "") -> set[Acl]:
    """The ACLs that let each actor do exactly what the registry says, and nothing more.

    Args:
        topics: ``TopicSpec``s (``conveyor_contracts.topics.TOPICS``).
        prefix: Prepended to every topic and group name, as ``ServiceSettings.topic_prefix``
            is: a test's namespace gets the production rules on its own topics.
    """
    acls: set[Acl] = set()
    for spec in topics:
        topic = prefix + spec.name
        acls.add(_topic(spec.producer, topic, Operation.WRITE))
        for consumer in spec.consumers:
            acls.add(_topic(consumer, topic, Operation.READ))
            acls.add(_group(consumer, prefix))
            if consumer in SERVICE_GROUPS:
                acls.add(_topic(consumer, prefix + spec.dead_letter, Operation.WRITE))
    return acls


def _topic(actor: str, topic: str, operation: Operation) -> Acl:
    return Acl(principal(actor), Resource.TOPIC, topic, Pattern.LITERAL, operation)


def _group(actor: str, prefix: str) -> Acl:
    if actor in SERVICE_GROUPS:
        name, pattern = prefix + SERVICE_GROUPS[actor], Pattern.LITERAL
    else:
        name, pattern = prefix + user_name(actor), Pattern.PREFIXED
    return Acl(principal(actor), Resource.GROUP, name, pattern, Operation.READ)
