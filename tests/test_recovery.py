"""Recovery on the real broker and database, the services as real processes killed with SIGKILL.

What the design promises, and what these tests hold it to: an event whose write was stored
leaves exactly once if the process dies before publishing it; if it dies after the publish and
before the removal, the relay sends it again (at least once on the wire, the same event id) and
the consumer's effect happens once. A deadline pending at the kill fires once after the restart
(one claim, one write), with one instance or two. A message whose writes keep conflicting with
another writer is parked with its reason after a bound, and its partition goes on.

The kills are placed by state, never by timing: ``service_harness.py`` kills the process at its
relay's first publish (before it, or right after the broker confirmed it), and deadline tests
kill once the pending state is stored, published and its input committed.
"""

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
from datetime import UTC, datetime, timedelta
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
from conveyor_contracts.groups import GROUP_INVENTORY, GROUP_ORDERS
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    TOPICS,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_runtime import kafka_acl_admin, kafka_topics
from conveyor_runtime.kafka_acl import registry_acls
from conveyor_runtime.testing import Servers, from_example, wait_for
from conveyor_runtime.tokens import Issuer

HARNESS = Path(__file__).with_name("service_harness.py")
SERVICES = ("orders", "inventory")
WAREHOUSE = "WH-US-NJ1"  # a US warehouse: the examples' orders are US orders
Record: TypeAlias = ConsumerRecord[bytes, bytes]
QUIET_SECONDS = 2.5  # how long nothing more may happen after a deadline fired


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


# 1. Killed between the write and the publish, or between the publish and the removal.


async def test_a_service_killed_after_its_write_before_its_publish_publishes_once_on_restart(
    stack: Stack,
) -> None:
    placed = order_placed()
    await stack.publish(CHECKOUT_ORDERS, placed, placed.order_id)

    crashed = await stack.start("orders", "--die", "before-publish", ready=False)
    assert await asyncio.wait_for(crashed.process.wait(), 60) == -signal.SIGKILL, crashed.log
    # The kill landed after the write: the order and its events are stored, none has left.
    assert await stack.status("orders", "orders", placed.order_id) == "accepted"
    pending = await stack.outbox("orders", "orders", placed.order_id)
    assert set(pending) == {"OrderAccepted", "OrderStatusChanged"}
    assert await stack.events(ORDER_LIFECYCLE, placed.order_id) == []
    assert await stack.events(ORDER_STATUS, placed.order_id) == []

    await stack.start("orders")

    async def drained_and_committed() -> bool:
        document = await stack.document("orders", "orders", placed.order_id)
        return (
            document is not None
            and document["outbox"] == []
            and await stack.all_committed(GROUP_ORDERS, CHECKOUT_ORDERS)
        )

    # Committed too: a redelivered OrderPlaced, had it emitted again, would be on the wire now.
    await until(drained_and_committed)
    accepted = await stack.events(ORDER_LIFECYCLE, placed.order_id)
    status = await stack.events(ORDER_STATUS, placed.order_id)
    assert [e["event_id"] for e in accepted] == [pending["OrderAccepted"]]
    assert [(e["event_id"], e["status"]) for e in status] == [
        (pending["OrderStatusChanged"], "accepted")
    ]


async def test_a_service_killed_after_its_publish_sends_it_again_and_its_consumer_applies_it_once(
    stack: Stack,
) -> None:
    sku = fresh_sku()
    receipt = from_example(
        GoodsReceived, sku=sku, warehouse_id=WAREHOUSE, quantity=5, receipt_ref=f"GRN-{sku}"
    )
    await stack.publish(WAREHOUSE_RECEIPTS, receipt, sku)
    inventory = await stack.start("inventory")
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{inventory.port}",
        headers=stack.tokens.bearer("operator", "opr_1"),
    ) as http:

        async def levels() -> dict[str, int] | None:
            response = await http.get(f"/stock/{sku}")
            if response.status_code != 200:
                return None
            [level] = [w for w in response.json()["warehouses"] if w["warehouse_id"] == WAREHOUSE]
            return {"on_hand": level["on_hand"], "reserved": level["reserved"]}

        # Stocked before the order exists, so the reservation cannot race the receipt.
        await until(levels)
        placed = order_placed(sku, quantity=2)
        await stack.publish(CHECKOUT_ORDERS, placed, placed.order_id)

        crashed = await stack.start("orders", "--die", "after-publish", ready=False)
        assert await asyncio.wait_for(crashed.process.wait(), 60) == -signal.SIGKILL, crashed.log
        # The kill landed after the confirmed publish and before the removal.
        pending = await stack.outbox("orders", "orders", placed.order_id)
        assert set(pending) == {"OrderAccepted", "OrderStatusChanged"}
        sent = await stack.events(ORDER_LIFECYCLE, placed.order_id)
        assert [e["event_id"] for e in sent] == [pending["OrderAccepted"]]

        await stack.start("orders")

        async def drained() -> bool:
            document = await stack.document("orders", "orders", placed.order_id)
            return document is not None and document["outbox"] == []

        await until(drained)
        # At least once on the wire: the relay cannot know the first copy left, so it sends it
        # again, with the same event id.
        accepted = await stack.events(ORDER_LIFECYCLE, placed.order_id, "OrderAccepted")
        assert [e["event_id"] for e in accepted] == [pending["OrderAccepted"]] * 2

        async def both_copies_consumed() -> bool:
            reservation = await stack.document("inventory", "reservations", placed.order_id)
            return (
                await stack.all_committed(GROUP_INVENTORY, ORDER_LIFECYCLE)
                and reservation is not None
                and reservation["outbox"] == []
            )

        await until(both_copies_consumed)
        # Exactly once in effect: two units reserved once, one StockReserved.
        assert await levels() == {"on_hand": 5, "reserved": 2}
        reserved = await stack.events(INVENTORY_RESERVATIONS, placed.order_id)
        assert [e["event_type"] for e in reserved] == ["StockReserved"]
        status = await stack.events(ORDER_STATUS, placed.order_id)
        assert [e["event_id"] for e in status if e["status"] == "accepted"] == [
            pending["OrderStatusChanged"]
        ]


# 2. Killed with a deadline pending.


def backorder_env(wait_seconds: float, sweep_seconds: float = 300.0) -> dict[str, str]:
    return {
        "INVENTORY_UNFILLABLE_POLICY": "backorder",
        "INVENTORY_BACKORDER_MAX_WAIT_SECONDS": str(wait_seconds),
        "INVENTORY_TIMER_SWEEP_SECONDS": str(sweep_seconds),
    }


async def backordered(stack: Stack) -> tuple[str, datetime, int]:
    """An order no stock covers, backordered by the running inventory: stored, published and
    its OrderAccepted committed, so all that is left in flight is the deadline. The order id, the
    deadline and the reservation's version."""
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    line = {
        "sku": fresh_sku(),
        "quantity": 1,
        "unit_price": {"amount_minor": 1000, "currency": "USD"},
    }
    accepted = from_example(OrderAccepted, order_id=order_id, correlation_id=order_id, lines=[line])
    await stack.publish(ORDER_LIFECYCLE, accepted, order_id)

    async def stored_and_committed() -> bool:
        return bool(
            await stack.events(INVENTORY_RESERVATIONS, order_id, "StockBackordered")
        ) and await stack.all_committed(GROUP_INVENTORY, ORDER_LIFECYCLE)

    await until(stored_and_committed)
    assert await stack.status("inventory", "reservations", order_id) == "backordered"
    stored = await stack.document("inventory", "reservations", order_id) or {}
    return order_id, stored["due_at"].replace(tzinfo=UTC), stored["version"]


async def fired_once(
    stack: Stack, order_id: str, due_at: datetime, version: int, *, relays: int = 1
) -> None:
    """The deadline fired once, not before it was due: the reservation is short with nothing
    left due or unsent, and one StockShortage was written, by one versioned write.

    A second firing would write its own StockShortage (same derived id, its own
    ``occurred_at``), so one firing is one distinct payload on the wire. Copies of that one
    are what at-least-once allows: an instance whose read finds another's entry not yet
    removed hands it to its own relay too, so up to one copy per instance's relay.
    """

    async def settled() -> bool:
        stored = await stack.document("inventory", "reservations", order_id)
        return stored is not None and stored["due_at"] is None and stored["outbox"] == []

    await until(settled, within=45)
    # A second firing would come from a poller that still remembers the deadline: retried a
    # second after a failure, or until the next sweep forgets it (each second here). Absence
    # can only be seen over a window, and this one covers both.
    await asyncio.sleep(QUIET_SECONDS)
    stored = await stack.document("inventory", "reservations", order_id) or {}
    assert (stored["status"], stored["version"]) == ("short", version + 1)
    shortages = await stack.events(INVENTORY_RESERVATIONS, order_id, "StockShortage")
    assert len({json.dumps(e, sort_keys=True) for e in shortages}) == 1, shortages
    assert 1 <= len(shortages) <= relays, shortages
    assert datetime.fromisoformat(shortages[0]["occurred_at"]) >= due_at
    kinds = [e["event_type"] for e in await stack.events(INVENTORY_RESERVATIONS, order_id)]
    assert kinds == ["StockBackordered"] + ["StockShortage"] * len(shortages)


async def test_a_deadline_pending_at_a_kill_fires_once_when_the_service_restarts_after_it(
    stack: Stack,
) -> None:
    env = backorder_env(wait_seconds=4)
    running = await stack.start("inventory", env=env)
    order_id, due_at, version = await backordered(stack)
    await stack.killed(running)
    assert datetime.now(UTC) < due_at, "killed after the deadline: make the wait longer"

    async def passed() -> bool:
        return datetime.now(UTC) > due_at

    await until(passed)
    # Nobody fired it meanwhile.
    assert await stack.status("inventory", "reservations", order_id) == "backordered"
    await stack.start("inventory", env=env)
    await fired_once(stack, order_id, due_at, version)


async def test_a_deadline_fires_once_from_two_instances_when_its_writer_restarts_before_it(
    stack: Stack,
) -> None:
    # Long enough for a restart, which waits for the group to drop the killed member (its
    # session timeout, 10 s). Each instance sweeps every second, so both know the deadline.
    env = backorder_env(wait_seconds=20, sweep_seconds=1)
    instances = await asyncio.gather(*(stack.start("inventory", env=env) for _ in range(2)))
    order_id, due_at, version = await backordered(stack)
    [writer] = [i for i in instances if await consumed(i, stack.topic(ORDER_LIFECYCLE))]
    await stack.killed(writer)
    await stack.start("inventory", env=env)
    # The survivor and the restarted instance both wait for it now: a race for one claim.
    assert datetime.now(UTC) < due_at - timedelta(seconds=1), "restarted too late for the race"
    await fired_once(stack, order_id, due_at, version, relays=2)


async def consumed(running: Running, topic: str) -> float:
    """How many messages of ``topic`` the process handled, from its /metrics."""
    async with httpx.AsyncClient(timeout=2.0) as http:
        text = (await http.get(f"http://127.0.0.1:{running.port}/metrics")).text
    prefix = f'conveyor_messages_consumed_total{{outcome="ok",topic="{topic}"}} '
    return sum(
        float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix)
    )


# 3. A message whose writes keep conflicting.


async def test_a_message_whose_writes_keep_conflicting_is_dead_lettered_and_its_partition_goes_on(
    stack: Stack,
) -> None:
    contested, next_one = order_placed(), order_placed()
    for placed in (contested, next_one):
        await stack.publish(CHECKOUT_ORDERS, placed, placed.order_id)
    # Another writer moves the contested order's version after each of the service's reads.
    await stack.start("orders", "--max-conflict-attempts", "4", "--contend", contested.order_id)
    orders = stack.database("orders")["orders"]

    async def both_accepted() -> bool:
        found = orders.find({"_id": {"$in": [contested.order_id, next_one.order_id]}})
        return [d["status"] async for d in found] == ["accepted", "accepted"]

    await until(both_accepted)
    # ...and has moved it once already: the copy the service kept of its own write is stale.
    await orders.update_one({"_id": contested.order_id}, {"$inc": {"version": 1}})

    reservations = [
        from_example(
            StockReserved,
            order_id=placed.order_id,
            correlation_id=placed.order_id,
            case_id=None,  # the example's is a reshipment's
        )
        for placed in (contested, next_one)
    ]
    for event in reservations:  # in this order, on the topic's one partition
        await stack.publish(INVENTORY_RESERVATIONS, event, event.order_id)

    async def parked() -> list[Record]:
        return await stack.records(INVENTORY_RESERVATIONS.dead_letter)

    [dead_letter] = await until(parked)
    headers = {name: value.decode() for name, value in dead_letter.headers}
    assert dead_letter.key == contested.order_id.encode()
    assert json.loads(dead_letter.value or b"")["event_id"] == str(reservations[0].event_id)
    assert headers["x-dlq-reason"].startswith("ConcurrentUpdateError"), headers
    assert headers["x-dlq-original-topic"] == stack.topic(INVENTORY_RESERVATIONS)

    async def went_on() -> bool:
        after = await orders.find_one({"_id": next_one.order_id})
        return (
            after is not None
            and after["status"] == "reserved"
            and await stack.all_committed(GROUP_ORDERS, INVENTORY_RESERVATIONS)
        )

    await until(went_on)
    # Parked, not half applied.
    assert await stack.status("orders", "orders", contested.order_id) == "accepted"
