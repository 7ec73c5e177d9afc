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
