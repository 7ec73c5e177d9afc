"""Waiting for Kafka waits for as many brokers as asked: provisioning that created its topics
on a cluster still joining would give them fewer copies than the registry asks for."""

import pytest

from conveyor_runtime.kafka_cluster import KafkaNotReadyError, wait_for_kafka
from conveyor_testkit.logins import KafkaLogin


@pytest.mark.integration
async def test_kafka_is_not_ready_until_it_reports_the_brokers_asked_for(
    kafka: str, kafka_login: KafkaLogin
) -> None:
    admin = kafka_login.credentials()
    await wait_for_kafka(kafka, 10, credentials=admin, brokers=1)  # the session's one broker

    with pytest.raises(KafkaNotReadyError, match="reports 1 of 2 brokers"):
        await wait_for_kafka(kafka, 1, credentials=admin, brokers=2)
