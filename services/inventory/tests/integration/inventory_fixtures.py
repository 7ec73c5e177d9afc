"""Builders and a harness shared by the inventory integration tests."""

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from conveyor_contracts.topics import TOPICS
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import Servers, from_example
from inventory.app import create_app
from inventory.settings import InventorySettings

# Every topic the inventory service reads or writes: what a test must create in its namespace.
INVENTORY_TOPICS = tuple(spec for spec in TOPICS if "inventory" in (spec.producer, *spec.consumers))

E = TypeVar("E", bound=BaseModel)


def inventory_settings(
    servers: Servers, kafka: str, namespace: str, **overrides: Any
) -> InventorySettings:
    return InventorySettings(
        kafka_bootstrap_servers=kafka,
        mongo_url=servers.mongo_url,
        mongo_database=f"{namespace}inventory",
        otlp_endpoint=servers.otlp,
        topic_prefix=namespace,
        **servers.kafka_login.settings("inventory"),  # as its own principal: the ACLs apply
        **overrides,
    )


def event(model: type[E], **fields: Any) -> E:
    """A valid ``model`` event: its schema example with fresh ids and time, then ``fields``."""
    return from_example(model, **fields)


@dataclass
class Harness:
    """The running service and a client broker that publishes and collects what it reads."""

    app: FastAPI
    client: KafkaBroker
    settings: InventorySettings
    received: dict[str, asyncio.Queue[KafkaMessage]]
    operator: dict[str, str]  # the bearer header of an operator, who reads the stock API
    issuer: Issuer | None = None  # signs other roles' tokens (a seller's)

    async def publish(self, topic: str, message: BaseModel | bytes, key: str) -> None:
        body = message if isinstance(message, bytes) else message.model_dump_json().encode()
        await self.client.publish(body, topic=self.settings.topic(topic), key=key.encode())


@asynccontextmanager
async def running(
    servers: Servers, kafka: str, namespace: str, listen: tuple[str, ...], **overrides: Any
) -> AsyncIterator[Harness]:
    """The service in this process, and a client reading ``listen`` (unprefixed topic names);
    ``overrides`` are settings, e.g. ``unfillable_policy="shortage"``."""
    with tempfile.TemporaryDirectory(prefix="inventory-tokens-") as keys:
        issuer = Issuer.at(Path(keys))  # keys made for this run only
        settings = inventory_settings(
            servers, kafka, namespace, jwks_path=issuer.jwks_path, **overrides
        )
        app = create_app(settings)
        client = build_broker(
            kafka,
            "inventory-test",
            build_tracer_provider("inventory-test", None),
            servers.kafka_login.credentials(),  # the test's own client: the admin
        )
        received: dict[str, asyncio.Queue[KafkaMessage]] = {}
        for name in listen:
            queue: asyncio.Queue[KafkaMessage] = asyncio.Queue()
            received[name] = queue

            _collect(client, settings.topic(name), f"{namespace}reader-{name}", queue)

        async with app.router.lifespan_context(app):
            await client.start()
            try:
                operator = issuer.bearer("operator", "opr_1")
                yield Harness(app, client, settings, received, operator, issuer)
            finally:
                await client.stop()


def _collect(
    client: KafkaBroker, topic: str, group_id: str, queue: asyncio.Queue[KafkaMessage]
) -> None:
    @client.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )
    async def on_message(body: bytes, message: KafkaMessage) -> None:
        await queue.put(message)
