"""Replaying dead letters on the real Kafka: parked until fixed, re-driven once, never twice, with
the original headers and the order's trace; a replay filtered by reason leaves the rest parked
for a later run.

The consumer and its handler are ``dead_letter_replay_mesh``'s; the handler does not deduplicate,
so a message re-driven twice would be seen twice.
"""

import uuid

from dead_letter_replay_mesh import (
    SPEC,
    Handler,
    cli,
    end_offsets,
    messages,
    parked_are,
    parked_count,
    processed_once,
    publish,
    refund,
)
from dead_letter_replay_mesh import mesh as mesh  # fixtures: pytest finds them by name here
from dead_letter_replay_mesh import operator_login as operator_login  # autouse: every test
from faststream.kafka import KafkaBroker

from conveyor_runtime.dead_letters import REPLAYED_FROM_HEADER
from conveyor_testkit import KafkaLogin, wait_for


async def test_a_parked_message_is_replayed_once_its_cause_is_fixed_and_processed_exactly_once(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, handler = mesh
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    stuck, fine = refund(order_id), refund(f"ord_{uuid.uuid4().hex[:12]}")
    stuck_key = order_id.encode()
    handler.refused[str(stuck.event_id)] = "no price list for the order's market"
    await publish(broker, namespace, stuck)
    await publish(broker, namespace, fine)
    await wait_for(lambda: processed_once(handler, fine))
    await wait_for(lambda: parked_are(kafka_login, namespace, 1))

    listing = await cli(kafka, namespace, "list")
    assert f"{namespace}{SPEC.dead_letter}: 1 parked" in listing
    assert f"key={order_id}" in listing
    assert "event_type=RefundRequested" in listing
    assert "no price list for the order's market" in listing

    original = namespace + SPEC.name
    before = await end_offsets(kafka_login, original)
    dry = await cli(kafka, namespace, "replay", "--dry-run")
    assert "would replay 1 message(s)" in dry
    assert await end_offsets(kafka_login, original) == before  # nothing published
    assert await parked_count(kafka_login, namespace) == 1  # nothing committed

    handler.fixed = True
    first = await cli(kafka, namespace, "replay")
    assert "replayed 1 message(s)" in first
    await wait_for(lambda: processed_once(handler, stuck))
    after_first = await end_offsets(kafka_login, original)
    assert sum(after_first.values()) == sum(before.values()) + 1

    second = await cli(kafka, namespace, "replay")
    assert "replayed 0 message(s)" in second
    assert await end_offsets(kafka_login, original) == after_first
    assert await parked_count(kafka_login, namespace) == 0
    # A marker on the same key (same partition) is processed after anything published before it.
    marker = refund(order_id)
    await publish(broker, namespace, marker)
    await wait_for(lambda: processed_once(handler, marker))
    assert handler.processed[str(stuck.event_id)] == 1

    on_key = [headers for key, headers in await messages(kafka_login, original) if key == stuck_key]
    first_publish = on_key[0]
    (headers,) = [headers for headers in on_key if REPLAYED_FROM_HEADER in headers]
    assert headers["x-test-origin"] == b"checkout"  # the original headers travel along
    assert headers[REPLAYED_FROM_HEADER].startswith(f"{namespace}{SPEC.dead_letter}/".encode())
    assert not [name for name in headers if name.startswith("x-dlq-")]
    # The re-driven message carries the order's trace: its consumer span joins that trace.
    assert _trace_id(headers) == _trace_id(first_publish)


def _trace_id(headers: dict[str, bytes]) -> str:
    return headers["traceparent"].decode().split("-")[1]


async def test_a_filtered_replay_leaves_the_rest_parked_for_a_later_run_and_never_repeats(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, handler = mesh
    order_id = f"ord_{uuid.uuid4().hex[:12]}"  # one key: one dead-letter partition, in order
    first, second, third = refund(order_id), refund(order_id), refund(order_id)
    handler.refused[str(first.event_id)] = "no price list"
    handler.refused[str(second.event_id)] = "unknown warehouse"
    handler.refused[str(third.event_id)] = "no price list"
    for event in (first, second, third):
        await publish(broker, namespace, event)
    await wait_for(lambda: parked_are(kafka_login, namespace, 3))
    handler.fixed = True

    only_warehouse = await cli(kafka, namespace, "replay", "--reason", "WAREHOUSE")
    assert "replayed 1, left parked 2" in only_warehouse
    await wait_for(lambda: processed_once(handler, second))
    listing = await cli(kafka, namespace, "list")
    assert listing.count("no price list") == 2
    assert "unknown warehouse" not in listing

    rest = await cli(kafka, namespace, "replay")
    assert "replayed 2 message(s)" in rest
    await wait_for(lambda: processed_once(handler, third))
    assert "replayed 0 message(s)" in await cli(kafka, namespace, "replay")
    marker = refund(order_id)
    await publish(broker, namespace, marker)
    await wait_for(lambda: processed_once(handler, marker))
    assert [handler.processed[str(event.event_id)] for event in (first, second, third)] == [1, 1, 1]
    replayed = [
        h
        for _, h in await messages(kafka_login, namespace + SPEC.name)
        if REPLAYED_FROM_HEADER in h
    ]
    assert len(replayed) == 3
