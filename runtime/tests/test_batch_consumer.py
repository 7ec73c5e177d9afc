"""The batch consumer on the real broker: per-key order, keys at once, commits after effects
(once per poll, and none past a message a transient failure holds, while other keys go on)."""

import asyncio

from batch_consumer_harness import (
    Pinged,
    _async,
    _equal,
    committed,
    consuming,
    end_offsets,
    ping,
    publish,
)
from batch_consumer_harness import topics as topics  # a fixture: pytest finds it by name here
from pymongo.errors import AutoReconnect

from conveyor_runtime.metrics import MessagingMetrics
from conveyor_testkit import KafkaLogin, wait_for


async def test_messages_of_one_key_keep_their_order_while_keys_are_handled_at_once(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    keys = [f"order-{k}" for k in range(6)]
    # The key is in the number too (key * 100 + n), so the handler knows which key it has.
    await publish(
        kafka_login,
        topic,
        [(key.encode(), ping(k * 100 + n)) for n in range(10) for k, key in enumerate(keys)],
    )
    seen: dict[int, list[int]] = {}
    in_flight = 0
    most_in_flight = 0

    async def handle(event: Pinged) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.005)  # a database round trip
        in_flight -= 1
        seen.setdefault(event.n // 100, []).append(event.n % 100)

    metrics = MessagingMetrics()
    async with consuming(kafka_login, topic, dead_letters, namespace + "g", handle, metrics):
        await wait_for(lambda: _async(sum(map(len, seen.values())) == 60), within=30)
    assert seen == {k: list(range(10)) for k in range(len(keys))}
    assert most_in_flight > 1  # keys overlapped; one at a time would be 1


async def test_a_batch_is_committed_once_per_poll_past_every_handled_message(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(kafka_login, topic, [(f"k{n % 7}".encode(), ping(n)) for n in range(200)])
    handled = 0

    async def handle(event: Pinged) -> None:
        nonlocal handled
        handled += 1

    metrics = MessagingMetrics()
    group = namespace + "g"
    async with consuming(kafka_login, topic, dead_letters, group, handle, metrics):
        await wait_for(lambda: _async(handled == 200), within=30)
        ends = await end_offsets(kafka_login, topic)
        await wait_for(lambda: _equal(committed(kafka_login, group, topic), ends), within=10)
    commits = metrics.registry.get_sample_value("conveyor_kafka_commits_total") or 0
    assert 1 <= commits < 20  # a commit per batch, not one per message (200)


async def test_a_transient_failure_holds_the_commit_without_holding_other_keys(
    kafka_login: KafkaLogin, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(
        kafka_login, topic, [(b"stuck", ping(0)), *[(b"free", ping(n)) for n in range(1, 6)]]
    )
    database_up = asyncio.Event()
    handled: list[int] = []

    async def handle(event: Pinged) -> None:
        if event.n == 0 and not database_up.is_set():
            raise AutoReconnect("database restarting")
        handled.append(event.n)

    metrics = MessagingMetrics()
    group = namespace + "g"
    async with consuming(kafka_login, topic, dead_letters, group, handle, metrics):
        await wait_for(lambda: _async(handled == [1, 2, 3, 4, 5]), within=30)
        await wait_for(
            lambda: _async((metrics.retried.labels(topic, "transient")._value.get()) >= 3),
            within=10,
        )
        assert await committed(kafka_login, group, topic) == {
            0: 0,
            1: 0,
        }  # nothing past the stuck one
        database_up.set()
        await wait_for(lambda: _async(0 in handled), within=10)
        ends = await end_offsets(kafka_login, topic)
        await wait_for(lambda: _equal(committed(kafka_login, group, topic), ends), within=10)
    assert metrics.consumed.labels(topic, "dead_lettered")._value.get() == 0
