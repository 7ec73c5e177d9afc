"""Who an actor of the registry is to the broker: its Kafka (SASL/SCRAM) user name.

Part of the contract: an outside client (a carrier, the checkout, the warehouse feed) is given
credentials for this name, and the broker's ACLs are made for it from the registry.
"""


def user_name(actor: str) -> str:
    """The user name of a registry actor (``carrier:swiftpost`` -> ``carrier-swiftpost``):
    SCRAM user names are simplest without a colon."""
    return actor.replace(":", "-")


def principal(actor: str) -> str:
    """The actor's Kafka principal, as ACLs name it: ``User:<user name>``."""
    return f"User:{user_name(actor)}"


# The broker's super user: provisioning and the operators' tools (the dead-letter replay) run as
# it, so it needs no ACL. Named here for the AsyncAPI document; the runtime's
# ``kafka_acl.ADMIN`` is the same name (a contract test checks it).
OPERATOR = "admin"
