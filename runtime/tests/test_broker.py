"""The broker factory against the real Kafka."""

from opentelemetry.sdk.trace import TracerProvider

from conveyor_runtime.broker import build_broker
from conveyor_testkit import KafkaLogin


async def test_a_comma_separated_list_of_bootstrap_servers_reaches_the_cluster(
    kafka: str, kafka_login: KafkaLogin
) -> None:
    # A cluster is configured as host:port,host:port; the same server twice stands for it here.
    broker = build_broker(
        f"{kafka},{kafka}", "broker-test", TracerProvider(), kafka_login.credentials()
    )
    try:
        await broker.start()
        assert await broker.ping(timeout=5.0)
    finally:
        await broker.stop()
