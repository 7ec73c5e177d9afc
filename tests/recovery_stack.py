"""The recovery tests' stack on the real broker and database: their topics (one partition each),
databases and service processes (``python -m <service>``, or ``service_harness.py`` around it),
started, killed with SIGKILL, and read back (topics from their beginning, committed offsets,
documents and their outboxes); and the orders they send."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import TOPICS
from conveyor_runtime import kafka_acl_admin, kafka_topics
from conveyor_runtime.kafka_acl import registry_acls
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import Servers, from_example, wait_for

HARNESS = Path(__file__).with_name("service_harness.py")
SERVICES = ("orders", "inventory")
WAREHOUSE = "WH-US-NJ1"  # a US warehouse: the examples' orders are US orders
Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass
class Running:
    name: str
    port: int
    process: asyncio.subprocess.Process
    log: Path


@dataclass
class Stack:
    """This test's topics (one partition each), databases and service processes."""

    servers: Servers
    kafka: str
    prefix: str
    logs: Path
    mongo: AsyncMongoClient[dict[str, Any]]
    tokens: Issuer
    started: list[Running] = field(default_factory=list)

    def database(self, service: str) -> AsyncDatabase[dict[str, Any]]:
        return self.mongo[f"{self.prefix}{service}"]

    def topic(self, spec: TopicSpec[Any]) -> str:
        return self.prefix + spec.name

    async def start(
        self, service: str, *harness: str, env: dict[str, str] | None = None, ready: bool = True
    ) -> Running:
        """``python -m <service>``, or the harness around it when ``harness`` options are given."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        upper = service.upper()
        environment = (
            os.environ
            | self.servers.kafka_login.environment(service)
            | {
                f"{upper}_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
                f"{upper}_MONGO_URL": self.servers.mongo_url,
                f"{upper}_MONGO_DATABASE": f"{self.prefix}{service}",
                f"{upper}_OTLP_ENDPOINT": self.servers.otlp,
                f"{upper}_HTTP_PORT": str(port),
                f"{upper}_TOPIC_PREFIX": self.prefix,
                f"{upper}_JWKS_PATH": str(self.tokens.jwks_path),
                **(env or {}),
            }
        )
        command = [str(HARNESS), service, *harness] if harness else ["-m", service]
        log = self.logs / f"{service}-{len(self.started)}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, *command, env=environment, stdout=output, stderr=output
            )
        running = Running(service, port, process, log)
        self.started.append(running)
        if ready:
            await self.until_ready(running)
        return running

    async def until_ready(self, running: Running) -> None:
        async with httpx.AsyncClient(timeout=2.0) as http:

            async def ready() -> bool:
                if running.process.returncode is not None:
                    raise AssertionError(f"{running.name} exited; see {running.log}")
                with contextlib.suppress(httpx.TransportError):
                    response = await http.get(f"http://127.0.0.1:{running.port}/readyz")
                    return response.status_code == 200
                return False

            await wait_for(ready, within=60)

    async def killed(self, running: Running) -> None:
        running.process.send_signal(signal.SIGKILL)
        assert await running.process.wait() == -signal.SIGKILL

    async def publish(self, spec: TopicSpec[Any], event: BaseModel, key: str) -> None:
        producer = AIOKafkaProducer(**self.servers.kafka_login.options(), acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                self.topic(spec), event.model_dump_json().encode(), key=key.encode()
            )
        finally:
            await producer.stop()

    async def events(
        self, spec: TopicSpec[Any], order_id: str, event_type: str | None = None
    ) -> list[dict[str, Any]]:
        """Every message of the order on the topic, as published: duplicates are kept."""
        found = [json.loads(record.value or b"") for record in await self.records(spec.name)]
        return [
            event
            for event in found
            if event.get("order_id") == order_id and event_type in (None, event["event_type"])
        ]

    async def records(self, name: str) -> list[Record]:
        """Every message of a topic of this stack, from its beginning to its end now."""
        partition = TopicPartition(self.prefix + name, 0)
        # Positioned by the reset policy: a seek_to_beginning races the default "latest" reset.
        reader = AIOKafkaConsumer(
            **self.servers.kafka_login.options(),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await reader.start()
        try:
            reader.assign([partition])
            end = (await reader.end_offsets([partition]))[partition]
            found: list[Record] = []
            while await reader.position(partition) < end:
                found += (await reader.getmany(partition, timeout_ms=1000)).get(partition, [])
            return found
        finally:
            await reader.stop()

    async def all_committed(self, group: str, spec: TopicSpec[Any]) -> bool:
        """Whether ``group`` has committed past every message of the topic."""
        partition = TopicPartition(self.topic(spec), 0)
        admin = AIOKafkaAdminClient(**self.servers.kafka_login.options())
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.prefix + group)
        finally:
            await admin.close()
        committed = offsets.get(partition)
        return committed is not None and committed.offset == len(await self.records(spec.name))

    async def document(self, service: str, collection: str, key: str) -> dict[str, Any] | None:
        return await self.database(service)[collection].find_one({"_id": key})

    async def status(self, service: str, collection: str, key: str) -> str | None:
        document = await self.document(service, collection, key)
        return None if document is None else str(document["status"])

    async def outbox(self, service: str, collection: str, key: str) -> dict[str, str]:
        """The document's pending events, event type -> event id."""
        document = await self.document(service, collection, key) or {}
        return {entry["event_type"]: entry["event_id"] for entry in document.get("outbox", [])}


@pytest.fixture
async def stack(
    servers: Servers, kafka: str, namespace: str, tmp_path: Path, token_issuer: Issuer
) -> AsyncIterator[Stack]:
    # One partition per topic: "the next message on the same partition" is the next message.
    specs = [s for s in TOPICS if {s.producer, *s.consumers} & set(SERVICES)]
    admin = servers.kafka_login.credentials()
    await kafka_topics.ensure_topics(
        kafka,
        {namespace + name: 1 for s in specs for name in (s.name, s.dead_letter)},
        credentials=admin,
    )
    acls = registry_acls(specs, namespace) if admin else set()
    await kafka_acl_admin.ensure_acls(kafka, acls, credentials=admin)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    running = Stack(servers, kafka, namespace, tmp_path, mongo, token_issuer)
    try:
        yield running
    finally:
        for process in running.started:
            if process.process.returncode is None:
                process.process.kill()
                await process.process.wait()
        for service in SERVICES:
            await mongo.drop_database(f"{namespace}{service}")
        await mongo.close()
        await kafka_topics.delete_topics_with_prefix(kafka, namespace, credentials=admin)
        await kafka_acl_admin.delete_acls(kafka, acls, credentials=admin)


def order_placed(sku: str = "TEE-BLK-M", quantity: int = 1) -> OrderPlaced:
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    return from_example(
        OrderPlaced,
        order_id=order_id,
        correlation_id=order_id,
        lines=[
            {
                "sku": sku,
                "quantity": quantity,
                "unit_price": {"amount_minor": 1000, "currency": "USD"},
            }
        ],
        order_total={"amount_minor": 499 + 1000 * quantity, "currency": "USD"},
    )


def fresh_sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def until(check: Callable[[], Awaitable[object]], within: float = 30) -> Any:
    return await wait_for(check, within=within, interval=0.1)
