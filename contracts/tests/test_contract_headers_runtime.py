"""The headers the document promises are those the runtime really sends (FastStream's in-memory
broker: the same publish path and header encoding as the real one)."""

from typing import Any

from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.sdk.trace import TracerProvider

from conveyor_contracts import headers
from conveyor_contracts.examples import (
    DEAD_LETTER_REASON,
    dead_letter_example,
    headers_example,
    payload_example,
)
from conveyor_contracts.groups import GROUP_ORDERS
from conveyor_contracts.headers import DeadLetterHeaders, MessageHeaders
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.topics import CHECKOUT_ORDERS, ORDER_LIFECYCLE
from conveyor_runtime.consumer import raw_body, subscribe
from conveyor_runtime.consumer_config import RetryPolicy
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.outbox import kafka_publisher, outbox_message

DOCUMENTED = set(DeadLetterHeaders.model_json_schema()["properties"])


def _capture(broker: KafkaBroker, topic: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    @broker.subscriber(topic, decoder=raw_body)
    async def capture(body: bytes, message: KafkaMessage) -> None:
        seen.append(dict(message.headers))

    return seen


async def test_the_outbox_relay_sends_the_documented_headers_and_no_other() -> None:
    broker = KafkaBroker()
    seen = _capture(broker, ORDER_LIFECYCLE.name)
    provider = TracerProvider()
    event = OrderAccepted.model_validate(payload_example(OrderAccepted))
    with provider.get_tracer(__name__).start_as_current_span("write"):
        item = outbox_message(event, topic=ORDER_LIFECYCLE.name, key=event.order_id)
    async with TestKafkaBroker(broker):
        await kafka_publisher(broker, MessagingMetrics(), provider)(item)
    (sent,) = seen
    assert set(sent) <= DOCUMENTED, set(sent) - DOCUMENTED
    assert set(sent) == set(headers_example(payload_example(OrderAccepted)))
    parsed = MessageHeaders.model_validate(sent)
    assert (parsed.event_id, parsed.event_type) == (str(event.event_id), "OrderAccepted")
    assert parsed.content_type == "application/json"
    assert parsed.traceparent is not None


async def test_a_parked_message_carries_the_documented_dead_letter_headers() -> None:
    broker = KafkaBroker()
    parked = _capture(broker, CHECKOUT_ORDERS.dead_letter)

    async def handle(event: object) -> None:
        raise AssertionError("an OrderPlaced without lines must not reach the handler")

    subscribe(
        broker,
        topic=CHECKOUT_ORDERS.name,
        dead_letter_topic=CHECKOUT_ORDERS.dead_letter,
        group_id=GROUP_ORDERS,
        adapter=CHECKOUT_ORDERS.adapter,
        handle=handle,
        metrics=MessagingMetrics(),
        retry=RetryPolicy(first_delay=0.001, max_delay=0.002, max_unknown_attempts=3),
    )
    example_headers, broken = dead_letter_example()
    original = {
        name: value
        for name, value in example_headers.items()
        if not name.startswith(headers.DEAD_LETTER_PREFIX)
    }
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            broken, CHECKOUT_ORDERS.name, key=broken["order_id"].encode(), headers=original
        )
    (dead_letter,) = parked
    assert set(dead_letter) <= DOCUMENTED, set(dead_letter) - DOCUMENTED
    assert set(dead_letter) == set(example_headers)
    documented = DeadLetterHeaders.model_validate(dead_letter)
    assert documented.reason == DEAD_LETTER_REASON
    assert documented.original_topic == CHECKOUT_ORDERS.name
    assert documented.consumer_group == GROUP_ORDERS
    assert documented.event_type == "OrderPlaced"


def test_the_dead_letter_tools_read_the_header_names_the_contract_documents() -> None:
    from conveyor_runtime.dead_letters import parked

    assert parked.EVENT_TYPE_HEADER == headers.EVENT_TYPE
    assert parked.REPLAYED_FROM_HEADER == headers.REPLAYED_FROM
    assert parked.DLQ_HEADER_PREFIX == headers.DEAD_LETTER_PREFIX
