"""Business counters moved by published events (once per event id, labelled from the payload),
and the outbox backlog gauge set by the relay's sweeps."""

import asyncio
import contextlib
import json
import uuid

from test_outbox import MemoryStore, message

from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay
from conveyor_runtime.service import build_infrastructure
from conveyor_runtime.settings import ServiceSettings
from conveyor_testkit import wait_for


def publish(metrics: MessagingMetrics, event_type: str, event_id: str, **payload: object) -> None:
    metrics.published(
        topic="t", event_type=event_type, event_id=event_id, payload=json.dumps(payload)
    )


def test_a_fact_is_counted_once_per_event_id_with_labels_from_its_payload() -> None:
    metrics = MessagingMetrics()
    metrics.count_published(
        "conveyor_things",
        "Things.",
        ("kind",),
        {"ThingHappened": lambda event: (event["kind"],), "ThingSkipped": lambda _: None},
    )
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    publish(metrics, "ThingHappened", first, kind="a")
    publish(metrics, "ThingHappened", first, kind="a")  # the relay re-publishing it
    publish(metrics, "ThingHappened", second, kind="b")
    publish(metrics, "ThingSkipped", str(uuid.uuid4()), kind="a")
    publish(metrics, "Unrelated", str(uuid.uuid4()), kind="a")

    def count(kind: str) -> float | None:
        return metrics.registry.get_sample_value("conveyor_things_total", {"kind": kind})

    assert (count("a"), count("b")) == (1, 1)
    # Every publish is still a produced message, re-publishes included.
    assert (
        metrics.registry.get_sample_value("conveyor_messages_produced_total", {"topic": "t"}) == 5
    )


async def test_the_outbox_backlog_gauge_follows_the_relays_sweeps() -> None:
    store, broker_up = MemoryStore(), False
    store.documents = {"order-1": [message("a")], "order-2": [message("b"), message("c")]}

    async def publish(_: OutboxMessage) -> None:
        if not broker_up:
            raise ConnectionError("broker down")

    metrics = MessagingMetrics()
    relay = OutboxRelay(
        store,
        publish,
        KeyedLock(),
        sweep_seconds=0.05,
        backlog=metrics.outbox_pending.labels("orders"),
    )

    async def backlog_is(expected: int) -> bool:
        value = metrics.registry.get_sample_value(
            "conveyor_outbox_pending", {"collection": "orders"}
        )
        return value == expected

    task = asyncio.create_task(relay.run())
    try:
        await wait_for(lambda: backlog_is(2), within=5, interval=0.01)  # two documents waiting
        broker_up = True
        await wait_for(lambda: backlog_is(0), within=10, interval=0.01)
        assert not any(store.documents.values())
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_a_consumed_topics_dead_letter_series_start_at_zero_so_the_first_one_is_an_increase() -> (
    None
):
    # increase() over a series that first appears at 1 sees no increase: the alert on dead
    # letters would miss the first of its kind. Declared at 0 when the topic is consumed, the
    # first dead letter is a rise from 0 to 1.
    settings = ServiceSettings(
        service_name="test", mongo_database="test", otlp_endpoint=None, topic_prefix="t1-"
    )
    infra = build_infrastructure(settings)

    async def handle(_: object) -> None:
        pass

    infra.consume(CHECKOUT_ORDERS, "orders", handle)
    for reason in ("ValidationError", "PermanentError"):
        value = infra.metrics.registry.get_sample_value(
            "conveyor_messages_dead_lettered_total",
            {"topic": "t1-checkout.orders.v1", "reason": reason},
        )
        assert value == 0, reason
