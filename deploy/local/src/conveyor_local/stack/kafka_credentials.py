"""Every Kafka principal's generated password, kept in the stack home's
kafka/credentials.json."""

import json

from conveyor_local.stack.settings import Settings
from conveyor_runtime.kafka_acl import ADMIN, BROKER, registry_actors
from conveyor_runtime.kafka_secrets import with_new_passwords
from conveyor_runtime.kafka_topics import registry_specs


def ensure_kafka_credentials(settings: Settings) -> list[str]:
    """Generate a password for each principal that has none yet: the admin, the brokers' own,
    and every actor of the registry (services, carriers, checkout, warehouse, payments).
    Returns the principals added.

    Before the first format every user goes into the new cluster's first metadata. A
    principal the registry gains after that (a new carrier) gets its password here too, and
    ``provision_kafka`` creates its user on the running cluster.
    """
    path = settings.kafka_credentials_file
    wanted = [ADMIN, BROKER, *registry_actors(registry_specs())]
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if missing := [name for name in wanted if name not in known]:
        known = with_new_passwords(known, missing)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a new file then renamed: a crash mid-write must not lose the
        # passwords of users that already exist on the cluster.
        partial = path.with_name(path.name + ".partial")
        partial.touch(mode=0o600)
        partial.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
        partial.replace(path)
    return missing
