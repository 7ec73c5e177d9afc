"""Kafka consumer-group ids, one per service.

A group id is where Kafka keeps a service's committed offsets. Renaming one makes the service
start over as a new group (re-reading retained history, or skipping it with ``latest``), so these
strings never change once deployed; a new purpose gets a new constant instead.
"""

from collections.abc import Mapping
from types import MappingProxyType

GROUP_ORDERS = "orders"
GROUP_INVENTORY = "inventory"
GROUP_SHIPPING = "shipping"
GROUP_SUPPORT = "support"

# Service name (as in TopicSpec.consumers) -> its group id.
SERVICE_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "orders": GROUP_ORDERS,
        "inventory": GROUP_INVENTORY,
        "shipping": GROUP_SHIPPING,
        "support": GROUP_SUPPORT,
    }
)
