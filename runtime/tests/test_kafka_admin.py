"""Topics are created as the registry sizes them: partitions, copies, and Kafka's configs."""

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_runtime import kafka_topics
from conveyor_runtime.kafka_topics import TopicSettings
from conveyor_testkit import KafkaLogin


def test_a_cluster_gets_the_registrys_copies_and_one_broker_gets_what_it_can_hold() -> None:
    settings = TopicSettings(12, replication_factor=3, min_insync_replicas=2, retention_hours=24)
    assert settings.on(3) == (3, {"min.insync.replicas": "2", "retention.ms": "86400000"})
    assert settings.on(1) == (1, {"min.insync.replicas": "1", "retention.ms": "86400000"})


def test_the_registry_asks_for_three_copies_two_in_sync_and_keeps_dead_letters_longer() -> None:
    topics = kafka_topics.registry_topics("p-")
    topic, parked = topics["p-" + CHECKOUT_ORDERS.name], topics["p-" + CHECKOUT_ORDERS.dead_letter]
    assert (topic.partitions, topic.replication_factor, topic.min_insync_replicas) == (12, 3, 2)
    assert parked.partitions == topic.partitions
    assert topic.retention_hours is not None
    assert parked.retention_hours is not None
    assert parked.retention_hours > topic.retention_hours


async def test_a_registry_topic_is_created_with_its_configs_on_the_broker(
    kafka: str, namespace: str, kafka_login: KafkaLogin
) -> None:
    name = namespace + CHECKOUT_ORDERS.name
    wanted = kafka_topics.registry_topics(namespace)[name]
    credentials = kafka_login.credentials()
    try:
        await kafka_topics.ensure_topics(kafka, {name: wanted}, credentials=credentials)
        admin = AIOKafkaAdminClient(**kafka_login.options())
        await admin.start()
        try:
            brokers = len((await admin.describe_cluster())["brokers"])
            (described,) = await admin.describe_topics([name])
            (response,) = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name)]
            )
        finally:
            await admin.close()
        configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
        copies = {len(partition["replicas"]) for partition in described["partitions"]}
        assert copies == {min(3, brokers)}
        assert configs["min.insync.replicas"] == str(min(2, min(3, brokers)))
        assert configs["retention.ms"] == str(CHECKOUT_ORDERS.retention_hours * 3_600_000)
    finally:
        await kafka_topics.delete_topics_with_prefix(kafka, namespace, credentials=credentials)
