"""The mesh for end-to-end tests: orders, inventory and shipping in this process on the real
broker and database, and one client broker playing the shop checkout, the warehouses and every
carrier (scripted by the test, so each scenario says exactly what the carrier does).

``running_mesh`` starts it; the moves and reads a test makes with it are ``Mesh``'s, in
``doorstep_actors``.
"""

import functools
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from doorstep_actors import BUYER_ID, NEW_YORK, Mesh
from faststream import AckPolicy

from conveyor_contracts.principals import user_name
from conveyor_contracts.topics import (
    CARRIER_CODES,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    SERVICE_GROUPS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
    TOPICS,
    carrier_requests_topic,
)
from conveyor_runtime import kafka_acl_admin, kafka_topics
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.kafka_acl import ADMIN, registry_acls
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import KafkaLogin, Servers
from inventory.app import create_app as create_inventory
from inventory.settings import InventorySettings
from orders.app import create_app as create_orders
from orders.settings import OrdersSettings
from shipping.app import create_app as create_shipping
from shipping.settings import ShippingSettings
from support.app import create_app as create_support
from support.settings import SupportSettings

__all__ = ["BUYER_ID", "NEW_YORK", "Mesh", "running_mesh"]

WATCHED = (
    ORDER_LIFECYCLE,
    ORDER_STATUS,  # what the checkout is told
    INVENTORY_RESERVATIONS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
)


@asynccontextmanager
async def running_mesh(
    servers: Servers,
    kafka: str,
    inventory_settings: dict[str, Any] | None = None,
    *,
    orders_settings: dict[str, Any] | None = None,
    every_service: dict[str, Any] | None = None,
    secured: KafkaLogin | None = None,
    **shipping_settings: Any,
) -> AsyncIterator[Mesh]:
    """The four services on a fresh namespace; ``every_service`` adds settings to all four.

    On an authenticated broker (the session's, or ``secured`` with ``kafka`` its address) every
    service and outside actor is its own principal, under the registry's ACLs moved to the
    namespace; the test's observer reads as the admin.
    """
    if secured is None and servers.kafka_credentials is not None:
        secured = servers.kafka_login
    prefix = f"e{uuid.uuid4().hex[:10]}-"
    keys = tempfile.TemporaryDirectory(prefix="mesh-tokens-")
    tokens = Issuer.at(Path(keys.name))
    # Fewer partitions than production: the same semantics, faster group joins in tests.
    wanted = {}
    for spec in TOPICS:
        wanted[prefix + spec.name] = min(spec.partitions, 3)
        wanted[prefix + spec.dead_letter] = 1
    admin = secured.credentials(ADMIN) if secured else None
    await kafka_topics.ensure_topics(kafka, wanted, credentials=admin)
    if secured:
        acls = registry_acls(TOPICS, prefix)
        await kafka_acl_admin.ensure_acls(kafka, acls, credentials=admin)

    def common(service: str) -> dict[str, Any]:
        principal = secured.credentials(service) if secured else None
        return {
            "kafka_bootstrap_servers": kafka,
            "kafka_username": principal.username if principal else None,
            "kafka_password": principal.password if principal else None,
            "mongo_url": servers.mongo_url,
            "mongo_database": f"{prefix}{service}",
            "otlp_endpoint": servers.otlp,
            "topic_prefix": prefix,
            "jwks_path": tokens.jwks_path,
            **(every_service or {}),
        }

    apps = {
        "orders": create_orders(OrdersSettings(**common("orders"), **(orders_settings or {}))),
        "inventory": create_inventory(
            InventorySettings(**common("inventory"), **(inventory_settings or {}))
        ),
        "shipping": create_shipping(ShippingSettings(**common("shipping"), **shipping_settings)),
        "support": create_support(SupportSettings(**common("support"))),
    }
    tracing = build_tracer_provider("doorstep-test", None)
    client = build_broker(kafka, "doorstep-test", tracing, admin)
    mesh = Mesh(apps, client, prefix, tokens)
    if secured:
        outside = {spec.producer for spec in TOPICS} - set(SERVICE_GROUPS)
        mesh.publishers = {
            actor: build_broker(
                kafka, user_name(actor), tracing, secured.credentials(user_name(actor))
            )
            for actor in outside
        }
    for spec in (*WATCHED, *(carrier_requests_topic(code) for code in CARRIER_CODES)):
        _watch(mesh, spec.name, spec.adapter)

    async with AsyncExitStack() as stack:
        stack.enter_context(keys)
        stack.push_async_callback(
            functools.partial(kafka_topics.delete_topics_with_prefix, credentials=admin),
            kafka,
            prefix,
        )
        if secured:
            stack.push_async_callback(
                functools.partial(kafka_acl_admin.delete_acls, credentials=admin), kafka, acls
            )
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        for publisher in (client, *mesh.publishers.values()):
            await publisher.start()
            stack.push_async_callback(publisher.stop)
        yield mesh


def _watch(mesh: Mesh, name: str, adapter: Any) -> None:
    events = mesh.seen.setdefault(name, [])

    @mesh.client.subscriber(
        mesh.prefix + name,
        group_id=f"{mesh.prefix}watch-{name}",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )
    async def on_event(body: bytes) -> None:
        events.append(adapter.validate_json(body))
