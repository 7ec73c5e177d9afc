"""Kafka's topics, users and ACLs, from the contracts' registry, once every node answers."""

import asyncio
import json
import time

from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaError
from pydantic import SecretStr

from conveyor_local.stack.kafka import Kafka, kafka_nodes
from conveyor_local.stack.kafka_credentials import ensure_kafka_credentials
from conveyor_local.stack.output import report
from conveyor_local.stack.settings import PROBE_INTERVAL, Settings, StackError
from conveyor_runtime import kafka_users
from conveyor_runtime.kafka_acl_admin import reconcile_acls
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options
from conveyor_runtime.kafka_topics import ensure_topics, registry_specs, registry_topics


def wait_for_brokers(settings: Settings) -> None:
    """Wait until every Kafka node's own metadata lists every node as a broker.

    Each node is ready on its own and learns of the others' registrations a little later;
    topics get as many copies as the node asked counts brokers when they are created, and
    keep that number.
    """
    nodes = kafka_nodes(settings)
    deadline = time.monotonic() + settings.start_timeout
    while (seen := min(asyncio.run(brokers_seen_by(node)) for node in nodes)) < len(nodes):
        if time.monotonic() >= deadline:
            raise StackError(f"a Kafka node lists {seen} of {len(nodes)} brokers")
        time.sleep(PROBE_INTERVAL)


async def brokers_seen_by(node: Kafka) -> int:
    # The bootstrap metadata comes from the one node given: its view, not another's.
    client = AIOKafkaClient(
        bootstrap_servers=f"{node.settings.host}:{node.port}",
        request_timeout_ms=5000,
        **client_options(node.settings.kafka_admin()),
    )
    try:
        await client.bootstrap()
        return len(client.cluster.brokers())
    except (KafkaError, OSError):
        return 0
    finally:
        await client.close()


def provision_kafka(settings: Settings) -> None:
    """Once every node answers: the registry's topics, and when authenticating its users
    and ACLs."""
    wait_for_brokers(settings)
    if settings.kafka_auth:
        create_scram_users(settings)
    create_registry_topics(settings.kafka_bootstrap(), settings.kafka_admin())
    if settings.kafka_auth:
        apply_registry_acls(settings)


def create_scram_users(settings: Settings) -> None:
    """Every principal of the credentials file is a SCRAM user of the cluster: those the
    registry gained since the format (and so since the file was made) are created as the
    admin, and wait until every broker accepts their login."""
    ensure_kafka_credentials(settings)
    passwords = json.loads(settings.kafka_credentials_file.read_text())
    created = asyncio.run(
        kafka_users.ensure_scram_users(
            settings.kafka_bootstrap(),
            {name: SecretStr(password) for name, password in passwords.items()},
            credentials=settings.kafka_admin(),
        )
    )
    if created:
        report("users", f"created {', '.join(created)} (new since the format)")


def create_registry_topics(bootstrap: str, admin: KafkaCredentials | None = None) -> None:
    """Create every topic of the contracts' registry and its dead-letter topic (auto-create is
    off, so nothing else will)."""
    try:
        topics = registry_topics()
    except ModuleNotFoundError as error:
        if error.name != "conveyor_contracts.topics":
            raise
        # Only while the registry module is being written: the servers are of use without it.
        report("topics", "WARNING: conveyor_contracts.topics does not exist yet, none created")
        return
    asyncio.run(ensure_topics(bootstrap, topics, credentials=admin))
    report("topics", f"{len(topics)} present (the registry's topics and their .dlq companions)")


def apply_registry_acls(settings: Settings) -> None:
    """The registry's ACLs, and none it no longer derives (``reconcile_acls``)."""
    bootstrap, admin = settings.kafka_bootstrap(), settings.kafka_admin()
    count, stale = asyncio.run(reconcile_acls(bootstrap, registry_specs(), credentials=admin))
    for acl in sorted(stale):
        report("acls", f"deleted {acl} (no longer derived from the registry)")
    report("acls", f"{count} present (from the registry), SASL/SCRAM-SHA-512 on")
