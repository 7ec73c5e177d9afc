"""Provisioning a Kafka cluster as deploy/compose.yaml does: the SCRAM users it lacks, the
registry's topics, then the registry's ACLs (without ``--credentials``: topics only)::

    python -m conveyor_runtime.kafka_admin --bootstrap kafka:9092 --credentials credentials.json

The administration it runs is in ``kafka_cluster`` (``wait_for_kafka``), ``kafka_users``,
``kafka_topics`` and ``kafka_acl_admin``.
"""

import argparse
import asyncio
import json
from pathlib import Path

from pydantic import SecretStr

from conveyor_runtime import kafka_users
from conveyor_runtime.kafka_acl import ADMIN
from conveyor_runtime.kafka_acl_admin import reconcile_acls
from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_runtime.kafka_cluster import wait_for_kafka
from conveyor_runtime.kafka_topics import (
    ensure_topics,
    registry_specs,
    registry_topics,
)


async def _provision(
    bootstrap: str, kafka_wait: float, passwords: dict[str, str], min_brokers: int = 1
) -> None:
    admin = KafkaCredentials(ADMIN, SecretStr(passwords[ADMIN])) if passwords else None
    await wait_for_kafka(bootstrap, kafka_wait, credentials=admin, brokers=min_brokers)
    if admin:
        logins = {name: SecretStr(password) for name, password in passwords.items()}
        await kafka_users.ensure_scram_users(bootstrap, logins, credentials=admin)
    await ensure_topics(bootstrap, registry_topics(), credentials=admin)
    if admin:
        await reconcile_acls(bootstrap, registry_specs(), credentials=admin)


def main() -> None:
    """Wait for Kafka, then create every topic of the contracts' registry; on an authenticated
    broker first the users it lacks and then the registry's ACLs, as the admin."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for Kafka")
    parser.add_argument(
        "--credentials",
        type=Path,
        default=None,
        help="every principal's password (JSON: user -> password), admin included",
    )
    parser.add_argument(
        "--min-brokers",
        type=int,
        default=1,
        help="wait until the cluster reports this many brokers: topics get as many copies as "
        "there are brokers when they are created, up to 3",
    )
    arguments = parser.parse_args()
    file = arguments.credentials
    passwords: dict[str, str] = json.loads(file.read_text()) if file else {}
    asyncio.run(
        _provision(arguments.bootstrap, arguments.timeout, passwords, arguments.min_brokers)
    )


if __name__ == "__main__":
    main()
