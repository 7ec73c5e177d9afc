"""Discarding dead letters: what is discarded is neither listed nor replayed, and the messages
parked beside it still are."""

import uuid

from dead_letter_replay_mesh import (
    SPEC,
    Handler,
    cli,
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


async def test_discarded_messages_are_neither_listed_nor_replayed_and_the_others_still_are(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, handler = mesh
    junk_key = f"ord_{uuid.uuid4().hex[:12]}"
    await broker.publish(b"\x00\xff not json", topic=namespace + SPEC.name, key=junk_key.encode())
    kept = refund(f"ord_{uuid.uuid4().hex[:12]}")
    handler.refused[str(kept.event_id)] = "no price list"
    await publish(broker, namespace, kept)
    await wait_for(lambda: parked_are(kafka_login, namespace, 2))

    assert "would discard 1 message(s)" in await cli(
        kafka, namespace, "discard", "--key", junk_key, "--dry-run"
    )
    assert await parked_count(kafka_login, namespace) == 2
    assert "discarded 1 message(s)" in await cli(kafka, namespace, "discard", "--key", junk_key)
    listing = await cli(kafka, namespace, "list")
    assert junk_key not in listing
    assert f"key={kept.order_id}" in listing

    handler.fixed = True
    assert "replayed 1 message(s)" in await cli(kafka, namespace, "replay")
    await wait_for(lambda: processed_once(handler, kept))
    replayed = [
        key
        for key, headers in await messages(kafka_login, namespace + SPEC.name)
        if REPLAYED_FROM_HEADER in headers
    ]
    assert replayed == [kept.order_id.encode()]
