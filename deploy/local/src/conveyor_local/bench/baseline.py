"""The run's own baselines: what this machine's broker and client move when handlers do nothing,
and how fast its database takes single-document updates.

The null mesh has one topic per journey stage, with that stage's partition count, and one
forwarder per hop, subscribed through the runtime's own ``subscribe`` on a broker from the
runtime's own ``build_broker`` (so commits, retries and trace middleware cost what they cost the
services). Each forwarder only stamps the time and publishes a message padded to the size the
mesh's event at that stage had.
"""

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel, TypeAdapter

from conveyor_local.bench.journey import JOURNEY, percentiles
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body, subscribe
from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_runtime.kafka_topics import ensure_topics
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import build_mongo_client


class NullEvent(BaseModel):
    """What a null hop forwards: the times each stage was passed, padded to the stage's size."""

    event_id: uuid.UUID
    order_id: str
    stamps: list[float]
    padding: str


def _topic(prefix: str, index: int) -> str:
    return f"{prefix}null{index}.{JOURNEY[index].topic.name}"


def _encode(event: NullEvent, size: int) -> bytes:
    bare = event.model_dump_json().encode()
    padding = "x" * max(0, size - len(bare))
    return event.model_copy(update={"padding": padding}).model_dump_json().encode()


async def null_mesh(
    kafka: str,
    prefix: str,
    sizes: dict[str, int],
    *,
    orders: int,
    rate: float,
    credentials: KafkaCredentials | None = None,
) -> dict[str, Any]:
    """Push ``orders`` messages through every hop at ``rate`` per second (0: all at once)."""
    stages = len(JOURNEY)
    wanted = {_topic(prefix, i): JOURNEY[i].topic.partitions for i in range(stages)}
    await ensure_topics(
        kafka, wanted | {f"{name}.dlq": 1 for name in wanted}, credentials=credentials
    )
    size = [sizes.get(stage.name, 400) for stage in JOURNEY]
    arrived: dict[str, list[float]] = {}
    everyone_arrived = asyncio.Event()
    brokers: list[KafkaBroker] = []
    provider = TracerProvider()  # spans made but not exported: the services export theirs

    def forwarder(client: KafkaBroker, index: int) -> Callable[[NullEvent], Awaitable[None]]:
        async def forward(event: NullEvent) -> None:
            event.stamps.append(time.time())
            await client.publish(
                _encode(event, size[index + 1]),
                _topic(prefix, index + 1),
                key=event.order_id.encode(),
            )

        return forward

    for index in range(stages - 1):
        client = build_broker(kafka, f"null-hop-{index}", provider, credentials)
        subscribe(
            client,
            topic=_topic(prefix, index),
            dead_letter_topic=f"{_topic(prefix, index)}.dlq",
            group_id=f"{prefix}null-hop-{index}",
            adapter=TypeAdapter(NullEvent),
            handle=forwarder(client, index),
            metrics=MessagingMetrics(),
        )
        brokers.append(client)
    sink = build_broker(kafka, "null-sink", provider, credentials)

    async def on_last(raw: bytes) -> None:
        event = NullEvent.model_validate_json(raw)
        arrived[event.order_id] = event.stamps
        if len(arrived) >= orders:
            everyone_arrived.set()

    sink.subscriber(
        _topic(prefix, stages - 1),
        group_id=f"{prefix}null-sink",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )(on_last)
    brokers.append(sink)
    source = build_broker(kafka, "null-source", provider, credentials)
    brokers.append(source)
    for client in brokers:
        await client.start()
    try:
        for number in range(orders):
            event = NullEvent(
                event_id=uuid.uuid4(), order_id=f"null-{number}", stamps=[time.time()], padding=""
            )
            await source.publish(
                _encode(event, size[0]), _topic(prefix, 0), key=event.order_id.encode()
            )
            if rate > 0:
                await asyncio.sleep(1.0 / rate)
        # A forwarder moves a few dozen messages a second here: a big burst takes minutes.
        await asyncio.wait_for(everyone_arrived.wait(), timeout=120 + orders / 10)
    finally:
        for client in reversed(brokers):
            await client.stop()
    return _figures(list(arrived.values()), orders)


def _figures(journeys: list[list[float]], orders: int) -> dict[str, Any]:
    """The same figures as the mesh's (``journey.figures``), for the null journeys."""
    names = [stage.name for stage in JOURNEY]
    start = min(stamps[0] for stamps in journeys)
    result: dict[str, Any] = {"orders": orders, "throughput": {}, "latency_ms": {"hops": {}}}
    for end in ("booked", "delivered"):
        position = names.index(end)
        span = max(stamps[position] for stamps in journeys) - start
        result["throughput"][end] = {
            "orders": len(journeys),
            "seconds": round(span, 2),
            "orders_per_second": round(len(journeys) / span, 2) if span > 0 else None,
        }
        totals = [stamps[position] - stamps[0] for stamps in journeys]
        result["latency_ms"][f"placed->{end}"] = percentiles(totals)
    for index, (before, after) in enumerate(itertools.pairwise(names)):
        waits = [stamps[index + 1] - stamps[index] for stamps in journeys]
        result["latency_ms"]["hops"][f"{before}->{after}"] = percentiles(waits)
    return result


async def database_writes(
    mongo_url: str, database: str, *, updates: int, writers: int
) -> dict[str, Any]:
    """``updates`` single-document upserts, by ``writers`` concurrent writers on distinct
    documents (as the services' handlers write distinct orders), through the services' client."""
    client = build_mongo_client(mongo_url, TracerProvider())
    collection = client[database]["bench_writes"]
    await collection.insert_one({"_id": "warm-up"})  # creates the collection outside the clock
    each = updates // writers

    async def writer(number: int) -> None:
        for step in range(each):
            await collection.update_one(
                {"_id": f"doc-{number}-{step % 50}"},
                {"$set": {"stage": step, "padding": "x" * 300}, "$inc": {"version": 1}},
                upsert=True,
            )

    started = time.perf_counter()
    await asyncio.gather(*(writer(number) for number in range(writers)))
    seconds = time.perf_counter() - started
    await client.drop_database(database)
    await client.close()
    return {
        "updates": each * writers,
        "writers": writers,
        "seconds": round(seconds, 2),
        "updates_per_second": round(each * writers / seconds, 1),
    }
