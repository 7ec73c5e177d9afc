"""The consumer wrapper on FastStream's in-memory broker: wiring, parsing and dead-lettering.

Offsets, redelivery and commits need the real broker; those are proven in the integration tier.
"""

import asyncio
from typing import Literal
from uuid import UUID, uuid4

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel, TypeAdapter
from pymongo.errors import AutoReconnect

from conveyor_runtime.consumer import raw_body, subscribe
from conveyor_runtime.consumer_config import RetryPolicy
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.metrics import MessagingMetrics

FAST = RetryPolicy(first_delay=0.001, max_delay=0.002, max_unknown_attempts=3)


class Pinged(BaseModel):
    event_type: Literal["Pinged"] = "Pinged"
    event_id: UUID
    n: int


def wire(handle: object, metrics: MessagingMetrics) -> tuple[KafkaBroker, list[object]]:
    broker = KafkaBroker()
    parked: list[object] = []

    @broker.subscriber("pings.dlq", decoder=raw_body)
    async def on_dead_letter(body: bytes, message: KafkaMessage) -> None:
        parked.append(message)

    subscribe(
        broker,
        topic="pings",
        dead_letter_topic="pings.dlq",
        group_id="test",
        adapter=TypeAdapter(Pinged),
        handle=handle,  # type: ignore[arg-type]
        metrics=metrics,
        retry=FAST,
    )
    return broker, parked


async def test_a_valid_message_reaches_the_handler_once() -> None:
    seen: list[Pinged] = []

    async def handle(event: Pinged) -> None:
        seen.append(event)

    metrics = MessagingMetrics()
    broker, parked = wire(handle, metrics)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(Pinged(event_id=uuid4(), n=1).model_dump_json().encode(), "pings")
    assert [event.n for event in seen] == [1]
    assert parked == []
    assert metrics.consumed.labels("pings", "ok")._value.get() == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe not json", "ValidationError"),
        (b'{"event_type": "Pinged", "event_id": "not-a-uuid", "n": 1}', "ValidationError"),
        (b'{"event_type": "Pinged", "n": 1}', "ValidationError"),
    ],
)
async def test_malformed_and_schema_violating_messages_are_dead_lettered_with_the_reason(
    body: bytes, reason: str
) -> None:
    async def handle(event: Pinged) -> None:
        raise AssertionError("the handler must not see an invalid message")

    metrics = MessagingMetrics()
    broker, parked = wire(handle, metrics)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(body, "pings", key=b"k1", headers={"traceparent": "x"})
    (message,) = parked
    assert message.body == body  # type: ignore[attr-defined]
    headers = message.headers  # type: ignore[attr-defined]
    assert headers["x-dlq-reason"].startswith(reason)
    assert headers["x-dlq-original-topic"] == "pings"
    assert headers["traceparent"] == "x"
    assert metrics.dead_lettered.labels("pings", reason)._value.get() == 1


async def test_the_reason_names_the_failing_field_but_never_quotes_the_message() -> None:
    async def handle(event: Pinged) -> None:
        raise AssertionError("the handler must not see an invalid message")

    body = b'{"event_type": "Pinged", "event_id": "Ada Lovelace, 12 Crescent Road", "n": 1}'
    broker, parked = wire(handle, MessagingMetrics())
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(body, "pings")
    reason = parked[0].headers["x-dlq-reason"]  # type: ignore[attr-defined]
    assert reason.startswith("ValidationError: Pinged: event_id: ")
    assert "Lovelace" not in reason
    assert "Crescent" not in reason


async def test_a_permanent_error_from_the_use_case_is_dead_lettered() -> None:
    async def handle(event: Pinged) -> None:
        raise PermanentError("cannot ship a cancelled order")

    broker, parked = wire(handle, MessagingMetrics())
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(Pinged(event_id=uuid4(), n=1).model_dump_json().encode(), "pings")
    assert "cannot ship a cancelled order" in parked[0].headers["x-dlq-reason"]  # type: ignore[attr-defined]


async def test_a_transient_failure_is_retried_until_it_succeeds_and_never_parked() -> None:
    attempts = 0

    async def handle(event: Pinged) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 6:  # more than max_unknown_attempts: transient errors are not bounded
            raise AutoReconnect("database restarting")

    metrics = MessagingMetrics()
    broker, parked = wire(handle, metrics)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(Pinged(event_id=uuid4(), n=1).model_dump_json().encode(), "pings")
    assert attempts == 6
    assert parked == []
    assert metrics.retried.labels("pings", "transient")._value.get() == 5


async def test_an_unexpected_error_is_retried_a_bounded_number_of_times_then_parked() -> None:
    attempts = 0

    async def handle(event: Pinged) -> None:
        nonlocal attempts
        attempts += 1
        raise KeyError("bug")

    broker, parked = wire(handle, MessagingMetrics())
    async with TestKafkaBroker(broker) as test_broker:
        await asyncio.wait_for(
            test_broker.publish(Pinged(event_id=uuid4(), n=1).model_dump_json().encode(), "pings"),
            timeout=5,
        )
    assert attempts == FAST.max_unknown_attempts
    assert "KeyError" in parked[0].headers["x-dlq-reason"]  # type: ignore[attr-defined]
