"""The batch consumer with coalesced document writes on the real database: a key's messages in
one batch change its document with one write, and a key whose document another process wrote
meanwhile is handled again, neither write lost."""

from collections.abc import Callable
from typing import Any

from batch_consumer_harness import Pinged, consuming, ping, publish
from batch_consumer_harness import topics as topics  # a fixture: pytest finds it by name here
from opentelemetry.sdk.trace import TracerProvider
from pymongo.asynchronous.collection import AsyncCollection

from conveyor_runtime.documents import OutboxDocuments
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import KeyedLock, build_mongo_client
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from conveyor_testkit import KafkaLogin, Servers, wait_for

Tally = dict[str, Any]


def _tallied(event: Pinged) -> Callable[[Tally], tuple[Tally, list[OutboxMessage]]]:
    def change(tally: Tally) -> tuple[Tally, list[OutboxMessage]]:
        if str(event.event_id) in tally["applied"]:
            return tally, []  # a redelivery
        return tally | {
            "n": tally["n"] + 1,
            "applied": [*tally["applied"], str(event.event_id)],
        }, []

    return change


async def _no_publish(_: OutboxMessage) -> None:
    raise AssertionError("nothing is published here")


def _tallies(
    collection: AsyncCollection[dict[str, Any]], *, coalesced: bool = True
) -> OutboxDocuments[Tally]:
    locks = KeyedLock()
    return OutboxDocuments(
        collection,
        locks,
        OutboxRelay(MongoOutboxStore(collection), _no_publish, locks),
        encode=dict,
        decode=dict,
        coalesced=coalesced,
    )


async def test_several_messages_of_one_key_in_a_batch_change_its_document_with_one_write(
    kafka_login: KafkaLogin, servers: Servers, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(kafka_login, topic, [(b"order-1", ping(n)) for n in range(5)])
    metrics = MessagingMetrics()
    mongo = build_mongo_client(servers.mongo_url, TracerProvider(), metrics=metrics)
    tallies = _tallies(mongo[f"{namespace}tallies"]["tallies"])
    await tallies.insert({"_id": "order-1", "n": 0, "applied": []}, [])

    async def handle(event: Pinged) -> None:
        await tallies.update("order-1", _tallied(event))

    try:
        async with consuming(kafka_login, topic, dead_letters, namespace + "g", handle, metrics):

            async def tallied() -> bool:
                tally = await tallies.get("order-1")
                return tally is not None and tally["n"] == 5

            await wait_for(tallied, within=30)
        writes = metrics.registry.get_sample_value(
            "conveyor_db_commands_total", {"command": "update"}
        )
        assert writes == 1  # one batch: five changes, one write
    finally:
        await mongo.drop_database(f"{namespace}tallies")
        await mongo.close()


async def test_a_key_whose_document_another_process_wrote_meanwhile_is_handled_again(
    kafka_login: KafkaLogin, servers: Servers, namespace: str, topics: tuple[str, str]
) -> None:
    topic, dead_letters = topics
    await publish(kafka_login, topic, [(b"order-1", ping(n)) for n in range(3)])
    metrics = MessagingMetrics()
    mongo = build_mongo_client(servers.mongo_url, TracerProvider(), metrics=metrics)
    collection = mongo[f"{namespace}tallies"]["tallies"]
    # Another process's repository: its write goes to the database at once.
    here, elsewhere = _tallies(collection), _tallies(collection, coalesced=False)
    await here.insert({"_id": "order-1", "n": 0, "applied": [], "other": 0}, [])
    interfered = False

    async def handle(event: Pinged) -> None:
        nonlocal interfered
        await here.update("order-1", _tallied(event))
        if not interfered:  # another instance writes the document between two messages
            interfered = True
            await elsewhere.update("order-1", lambda tally: (tally | {"other": 1}, []))

    try:
        async with consuming(kafka_login, topic, dead_letters, namespace + "g", handle, metrics):

            async def tallied() -> dict[str, Any] | None:
                stored = await collection.find_one({"_id": "order-1"})
                return stored if stored is not None and stored["n"] == 3 else None

            stored = await wait_for(tallied, within=30)
        assert isinstance(stored, dict)
        assert stored["other"] == 1  # the other write was not lost
        assert len(stored["applied"]) == 3  # and each message counted once
    finally:
        await mongo.drop_database(f"{namespace}tallies")
        await mongo.close()
