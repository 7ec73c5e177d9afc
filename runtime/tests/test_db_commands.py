"""Database commands counted by name on the real database, connection housekeeping left out."""

from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import build_mongo_client, ping
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import Servers


async def test_a_find_and_an_update_count_one_find_and_one_update(
    servers: Servers, namespace: str
) -> None:
    metrics = MessagingMetrics()
    mongo = build_mongo_client(
        servers.mongo_url, build_tracer_provider("test", None), metrics=metrics
    )
    collection = mongo[f"{namespace}commands"]["things"]

    try:
        await ping(mongo)  # connects; housekeeping is not work
        await collection.find_one({"_id": "a"})
        await collection.update_one({"_id": "a"}, {"$set": {"n": 1}}, upsert=True)
        counted = {
            sample.labels["command"]: sample.value
            for family in metrics.registry.collect()
            if family.name == "conveyor_db_commands"
            for sample in family.samples
            if sample.name == "conveyor_db_commands_total"
        }
        assert counted == {"find": 1, "update": 1}  # no ping, no hello
    finally:
        await mongo.drop_database(f"{namespace}commands")
        await mongo.close()
