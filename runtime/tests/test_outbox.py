"""The outbox relay against an in-memory store: order, removal, recovery after failures."""

import asyncio
import uuid
from collections.abc import Hashable
from datetime import UTC, datetime

from conveyor_contracts.envelope import Envelope
from conveyor_runtime.mongo import KeyedLock
from conveyor_runtime.outbox import OutboxMessage, OutboxRelay, derived_event_id, outbox_message
from conveyor_testkit import wait_for


class Note(Envelope):
    text: str


class MemoryStore:
    def __init__(self) -> None:
        self.documents: dict[Hashable, list[OutboxMessage]] = {}

    async def pending(self, document_id: Hashable) -> list[OutboxMessage]:
        return list(self.documents.get(document_id, []))

    async def remove(self, document_id: Hashable, messages: list[OutboxMessage]) -> None:
        self.documents[document_id] = [m for m in self.documents[document_id] if m not in messages]

    async def documents_with_pending(self) -> list[Hashable]:
        return [key for key, messages in self.documents.items() if messages]


async def emptied(store: MemoryStore, document_id: Hashable) -> bool:
    return not store.documents[document_id]


def message(text: str) -> OutboxMessage:
    note = Note(
        event_id=uuid.uuid4(),
        event_type="Note",
        occurred_at=datetime.now(UTC),
        correlation_id="flow-1",
        producer="tests",
        text=text,
    )
    return outbox_message(note, topic="notes", key="k")


async def test_a_notified_document_is_published_in_order_and_emptied() -> None:
    store, published = MemoryStore(), []
    store.documents["order-1"] = [message("a"), message("b"), message("c")]

    async def publish(item: OutboxMessage) -> None:
        published.append(Note.model_validate_json(item.payload).text)

    relay = OutboxRelay(store, publish, KeyedLock(), sweep_seconds=60)
    task = asyncio.create_task(relay.run())
    relay.notify("order-1")
    try:
        await wait_for(lambda: emptied(store, "order-1"), within=5, interval=0.01)
    finally:
        task.cancel()
    assert published == ["a", "b", "c"]


async def test_entries_left_by_a_crash_are_found_by_the_sweep_and_a_failed_publish_is_retried() -> (
    None
):
    store, published, failures = MemoryStore(), [], [1]
    store.documents["order-2"] = [message("left-behind")]

    async def flaky_publish(item: OutboxMessage) -> None:
        if failures:
            failures.pop()
            raise ConnectionError("broker restarting")
        published.append(item.event_id)

    relay = OutboxRelay(store, flaky_publish, KeyedLock(), sweep_seconds=0.05)
    task = asyncio.create_task(relay.run())  # nobody notifies: only the sweep can find it
    try:
        await wait_for(lambda: emptied(store, "order-2"), within=10, interval=0.01)
    finally:
        task.cancel()
    assert len(published) == 1


async def test_entries_left_by_a_crash_are_published_at_start_not_at_the_next_sweep() -> None:
    store, published = MemoryStore(), []
    store.documents["order-4"] = [message("left-behind")]

    async def publish(item: OutboxMessage) -> None:
        published.append(Note.model_validate_json(item.payload).text)

    relay = OutboxRelay(store, publish, KeyedLock(), sweep_seconds=300)
    task = asyncio.create_task(relay.run())  # a restarted, quiet service: nobody notifies
    try:
        await wait_for(lambda: emptied(store, "order-4"), within=2, interval=0.01)
    finally:
        task.cancel()
    assert published == ["left-behind"]


async def test_an_outbox_handed_over_by_its_writer_is_published_without_reading_it_back() -> None:
    store, published, reads = MemoryStore(), [], []
    written = [message("left-behind"), message("new")]  # the whole outbox after the write
    store.documents["order-3"] = list(written)
    read = store.pending

    async def counted_read(document_id: Hashable) -> list[OutboxMessage]:
        reads.append(document_id)
        return await read(document_id)

    store.pending = counted_read  # type: ignore[method-assign]

    async def publish(item: OutboxMessage) -> None:
        published.append(Note.model_validate_json(item.payload).text)

    relay = OutboxRelay(store, publish, KeyedLock(), sweep_seconds=60)
    relay.notify("order-3", written)
    await relay.flush("order-3")
    assert published == ["left-behind", "new"]
    assert store.documents["order-3"] == []
    assert reads == []

    store.documents["order-3"] = [message("after-a-failure")]
    relay.notify("order-3")  # nothing handed over: the relay reads the document
    await relay.flush("order-3")
    assert published[-1] == "after-a-failure"
    assert reads == ["order-3"]


def test_derived_event_ids_are_stable_per_cause_and_name() -> None:
    cause = uuid.uuid4()
    assert derived_event_id(cause, "OrderAccepted") == derived_event_id(cause, "OrderAccepted")
    assert derived_event_id(cause, "OrderAccepted") != derived_event_id(cause, "OrderRejected")
    assert derived_event_id(cause, "OrderAccepted") != derived_event_id(
        uuid.uuid4(), "OrderAccepted"
    )


async def _no_publish(_: OutboxMessage) -> None:
    raise AssertionError("nothing is published here")


async def test_a_relay_cancelled_as_it_is_notified_stops() -> None:
    # The shutdown race: a write's notification and the app's cancellation in the same tick.
    # asyncio.wait_for on 3.11 swallowed such a cancellation every time, and shutdown hung.
    relay = OutboxRelay(MemoryStore(), _no_publish, KeyedLock(), sweep_seconds=60)
    running = asyncio.create_task(relay.run())
    await asyncio.sleep(0.05)  # past the start sweep, waiting for a notification
    relay.notify("order-1", [])
    running.cancel()
    done, _ = await asyncio.wait({running}, timeout=2)
    assert done, "the relay went on running after it was cancelled"
