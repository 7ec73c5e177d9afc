"""Reaching a Kafka cluster as its administrator: the admin client the administration modules
(``kafka_topics``, ``kafka_acl_admin``) open, and waiting until the cluster can be used.

- ``wait_for_kafka``: ready means the broker answers metadata *and* a group coordinator lookup;
  an open port or a bare metadata answer is not enough for consumer groups to work.

It takes the caller's ``credentials`` (the admin principal on an authenticated broker).
"""

import asyncio
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from conveyor_runtime.kafka_auth import KafkaCredentials, client_options

# Any group id works: a FindCoordinator request names one but creates nothing. The first lookup
# makes the broker create __consumer_offsets, so it fails until that topic has a leader.
_PROBE_GROUP = "conveyor-readiness-probe"
ATTEMPT_TIMEOUT = 5.0
# How long the cluster may take to apply a change of its metadata (a new topic's leaders, an
# ACL on every broker): what topic and ACL administration wait for.
LEADER_WAIT = 30.0
RETRY_INTERVAL = 0.25


class KafkaNotReadyError(RuntimeError):
    """Kafka did not answer metadata and a group coordinator lookup before the deadline."""


# A deadline for a retry loop, not a cancellation: the error must name the last failure seen.
async def wait_for_kafka(
    bootstrap: str,
    timeout: float,  # noqa: ASYNC109
    *,
    credentials: KafkaCredentials | None = None,
    brokers: int = 1,
) -> None:
    """Wait until Kafka answers cluster metadata and a group coordinator lookup.

    Args:
        bootstrap: Bootstrap servers, ``host:port[,host:port...]``.
        timeout: Seconds to keep trying.
        credentials: Who asks, on an authenticated broker.
        brokers: How many brokers the cluster must report (a topic created before the rest
            joined would get fewer copies than asked for).

    Raises:
        KafkaNotReadyError: At the deadline, with the last error seen.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT):
                await _probe(bootstrap, credentials, brokers)
            return
        except (KafkaError, KafkaNotReadyError, OSError, TimeoutError) as error:
            last_error = error
        if loop.time() >= deadline:
            raise KafkaNotReadyError(
                f"Kafka at {bootstrap} did not answer metadata and a group coordinator lookup "
                f"within {timeout:.0f}s; last error: {last_error!r}"
            ) from last_error
        await asyncio.sleep(RETRY_INTERVAL)


async def _probe(bootstrap: str, credentials: KafkaCredentials | None, brokers: int) -> None:
    admin = admin_client(bootstrap, credentials)
    try:
        await admin.start()
        cluster: dict[str, Any] = await admin.describe_cluster()
        if len(cluster["brokers"]) < brokers:
            raise KafkaNotReadyError(
                f"Kafka at {bootstrap} reports {len(cluster['brokers'])} of {brokers} brokers"
            )
        await admin.find_coordinator(_PROBE_GROUP)
    finally:
        await admin.close()


def admin_client(
    bootstrap: str, credentials: KafkaCredentials | None, timeout: float = ATTEMPT_TIMEOUT
) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="conveyor-admin",
        request_timeout_ms=int(timeout * 1000),
        **client_options(credentials),
    )
