"""A dead letter's personal data stays in its payload: neither the reason it is parked with nor
the replay tool's listing (run as ``python -m``, as an operator does) quotes it."""

import asyncio
import os
import sys
import uuid

from dead_letter_replay_mesh import SPEC, Handler, parked_are
from dead_letter_replay_mesh import mesh as mesh  # fixtures: pytest finds them by name here
from dead_letter_replay_mesh import operator_login as operator_login  # autouse: every test
from faststream.kafka import KafkaBroker

from conveyor_runtime.dead_letters import DeadLetters
from conveyor_testkit import KafkaLogin, wait_for


async def test_neither_the_parked_reason_nor_the_listing_holds_the_payload(
    kafka: str, namespace: str, mesh: tuple[KafkaBroker, Handler], kafka_login: KafkaLogin
) -> None:
    broker, _ = mesh
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    personal = ("Ada Lovelace", "12 Analytical Row", "+44 20 7946 0000", "ada@example.com")
    # A free-text reason holding a name: Pydantic's own error text would quote it in full (and
    # the ship_to object cut in the middle); the consumer parks the failing fields only.
    body = (
        f'{{"event_type": "RefundRequested", "order_id": "{order_id}", '
        f'"reason": "{personal[0]}", "ship_to": {{"line1": "{personal[1]}", '
        f'"phone": "{personal[2]}", "email": "{personal[3]}"}}}}'
    )
    await broker.publish(body.encode(), topic=namespace + SPEC.name, key=order_id.encode())
    await wait_for(lambda: parked_are(kafka_login, namespace, 1))
    async with DeadLetters(kafka, namespace, kafka_login.credentials()) as dead_letters:
        (parked,) = (await dead_letters.parked(namespace + SPEC.dead_letter)).still_parked
    for value in personal:
        assert value not in parked.header("x-dlq-reason")

    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "conveyor_runtime.dead_letters", "list", "--topic", SPEC.name),
        env=os.environ
        | {"DEAD_LETTERS_KAFKA_BOOTSTRAP_SERVERS": kafka, "DEAD_LETTERS_TOPIC_PREFIX": namespace},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(command.communicate(), timeout=60)
    assert command.returncode == 0, stderr
    printed = stdout.decode() + stderr.decode()
    assert f"key={order_id}" in printed
    assert "ValidationError" in printed
    for value in personal:
        assert value not in printed
