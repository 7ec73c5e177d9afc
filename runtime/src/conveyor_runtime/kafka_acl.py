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
    """Kafka's AclOperation codes; READ and WRITE imply DESCRIBE. The registry makes only
    READ and WRITE rules; the others name what an operator's rule on the same resources may
    allow, so that provisioning can read it back (``stale_acls``)."""

    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14
    TWO_PHASE_COMMIT = 15


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW rule: ``principal`` may ``operation`` on ``resource`` ``name`` (``pattern``)
    from ``host`` (the registry's rules: from any host)."""

    principal: str  # "User:orders"
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation
    host: str = "*"

    def __str__(self) -> str:
        prefixed = "*" if self.pattern is Pattern.PREFIXED else ""
        host = "" if self.host == "*" else f" from {self.host}"
        return (
            f"{self.principal} {self.operation.name} {self.resource.name.lower()} "
            f"{self.name}{prefixed}{host}"
        )


ResourcePattern = tuple[Resource, str, Pattern]  # what a rule is on: type, name, pattern


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


def registry_resources(topics: Iterable[Any], prefix: str = "") -> set[ResourcePattern]:
    """What provisioning owns: every topic of the registry and its ``.dlq`` (literally), and
    every actor's consumer groups as ``registry_acls`` names them, after ``prefix``. Rules on
    anything else (another namespace, an operator's own topics) are not the registry's."""
    specs = list(topics)
    owned: set[ResourcePattern] = set()
    for spec in specs:
        owned.add((Resource.TOPIC, prefix + spec.name, Pattern.LITERAL))
        owned.add((Resource.TOPIC, prefix + spec.dead_letter, Pattern.LITERAL))
    for actor in {spec.producer for spec in specs} | {c for s in specs for c in s.consumers}:
        group = _group(actor, prefix)
        owned.add((group.resource, group.name, group.pattern))
    return owned


def stale_acls(held: Iterable[Acl], topics: Iterable[Any], prefix: str = "") -> set[Acl]:
    """The ALLOW rules among ``held`` that are on the registry's resources (for ``prefix``)
    but that the registry does not derive: a consumer the registry dropped, a rule from
    another host, a right an operator granted by hand on a Conveyor topic. DENY rules never
    reach here (``held`` is ALLOW rules), and rules on other resources are left out."""
    specs = list(topics)
    owned = registry_resources(specs, prefix)
    wanted = registry_acls(specs, prefix)
    return {
        acl for acl in held if (acl.resource, acl.name, acl.pattern) in owned and acl not in wanted
    }


def _topic(actor: str, topic: str, operation: Operation) -> Acl:
    return Acl(principal(actor), Resource.TOPIC, topic, Pattern.LITERAL, operation)


def _group(actor: str, prefix: str) -> Acl:
    if actor in SERVICE_GROUPS:
        name, pattern = prefix + SERVICE_GROUPS[actor], Pattern.LITERAL
    else:
        name, pattern = prefix + user_name(actor), Pattern.PREFIXED
    return Acl(principal(actor), Resource.GROUP, name, pattern, Operation.READ)
