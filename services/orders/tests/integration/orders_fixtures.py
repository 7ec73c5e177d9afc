"""Builders shared by the orders integration tests."""

import uuid
from datetime import UTC, datetime

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import TOPICS
from conveyor_testkit import Servers
from orders.settings import OrdersSettings

# Every topic the orders service reads or writes: what a test must create in its namespace.
ORDERS_TOPICS = tuple(spec for spec in TOPICS if "orders" in (spec.producer, *spec.consumers))


def orders_settings(servers: Servers, kafka: str, namespace: str) -> OrdersSettings:
    """The orders service on the session's servers, in this test's own namespace."""
    return OrdersSettings(
        kafka_bootstrap_servers=kafka,
        mongo_url=servers.mongo_url,
        mongo_database=f"{namespace}orders",
        otlp_endpoint=servers.otlp,
        topic_prefix=namespace,
        **servers.kafka_login.settings("orders"),  # as its own principal: the ACLs apply
    )


def order_placed(order_id: str) -> OrderPlaced:
    """A valid order (the contracts' example) with fresh ids."""
    example = OrderPlaced.model_json_schema()["examples"][0]
    return OrderPlaced.model_validate(
        example
        | {
            "event_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": order_id,
            "order_id": order_id,
        }
    )
