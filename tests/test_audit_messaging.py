"""The auditor's invariants of the messaging, each broken by a run of its own: an outbox entry
never published (outboxes_drained), a dead letter the run did not mean (dead_letters_expected), a
consumer group behind its topic (consumer_lag_zero), each named."""

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from audit_run import TOPICS, Run, _by_name, _id, _only_broken
from audit_run import run as run  # a fixture: pytest finds it by name here

from conveyor_contracts.orders import OrderStatusChanged
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import CHECKOUT_ORDERS, TOPICS_BY_NAME
from conveyor_local.audit.result import ExpectedDeadLetter
from conveyor_runtime.outbox import outbox_message
from conveyor_testkit import from_example


async def test_an_unpublished_outbox_entry_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=8)
    order_id = run.delivered_order(units=2)
    stored = next(d for s, c, d in run.documents if c == "orders" and d["_id"] == order_id)
    status = from_example(
        OrderStatusChanged, order_id=order_id, correlation_id=order_id, status="delivered"
    )
    stored["outbox"] = [outbox_message(status, topic="orders.status.v1", key=order_id).model_dump()]

    violations = _only_broken(await run.audit(), "outboxes_drained")

    assert [v.ids for v in violations] == [(order_id,)]
    assert "OrderStatusChanged" in violations[0].reason


async def test_only_the_dead_letters_the_run_did_not_mean_are_named(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    meant, valid = _id("ord"), _id("ord")
    run.park(CHECKOUT_ORDERS, meant, "ValidationError: 1 validation error for OrderPlaced")
    run.park(CHECKOUT_ORDERS, valid, "ConcurrentUpdateError: conflicts with another process")
    expected = [ExpectedDeadLetter(CHECKOUT_ORDERS.name, "ValidationError")]

    violations = _only_broken(
        await run.audit(expected_dead_letters=expected), "dead_letters_expected"
    )

    assert [v.ids for v in violations] == [(valid,)]
    assert _by_name(await run.audit())["dead_letters_expected"].checked == 2


async def test_a_group_behind_its_topic_is_named(run: Run) -> None:
    run.delivered_order(units=2)
    run.stock(received=10, on_hand=8)
    group = run.prefix + "orders"
    first = await run.audit()  # publishes; nothing consumed by a group yet
    assert first.held, first.table()
    await _commit(run, group, CHECKOUT_ORDERS, offset=0)

    violations = _only_broken(await run.audit(), "consumer_lag_zero")

    assert {v.ids for v in violations} == {(group,)}
    # The registry's topics of the orders group are measured too, committed on or not.
    measured = _by_name(await run.audit())["consumer_lag_zero"].checked
    orders_topics = [s for s in TOPICS_BY_NAME.values() if "orders" in s.consumers]
    assert measured == sum(s.partitions for s in orders_topics if s in TOPICS)


async def _commit(run: Run, group: str, spec: TopicSpec[Any], *, offset: int) -> None:
    """Commit ``offset`` on every partition of ``spec``'s topic for ``group``, joining nothing."""
    consumer = AIOKafkaConsumer(
        **run.servers.kafka_login.options(), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        topic = run.prefix + spec.name
        partitions = [TopicPartition(topic, p) for p in range(spec.partitions)]
        consumer.assign(partitions)
        await consumer.commit(dict.fromkeys(partitions, offset))
    finally:
        await consumer.stop()
