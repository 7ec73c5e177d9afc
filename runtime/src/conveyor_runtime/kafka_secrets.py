"""Kafka credentials where no local stack makes them: a deployment's secrets folder.

``deploy/compose.yaml`` runs ``python -m conveyor_runtime.kafka_secrets /secrets`` once before
the broker starts. It gives every principal (the admin, the brokers' own, every actor of the
registry) a random password the first time, keeps them on later runs, and lays them out so that
each container mounts only what it needs:

- ``<user>/password``: that principal's password alone (a service mounts its own folder and
  reads it through ``<SERVICE>_KAFKA_PASSWORD_FILE``);
- ``admin/credentials.json``: every password, for provisioning (it creates the users the
  broker does not have yet, as the admin);
- ``broker/sasl.properties``: the broker's authentication and authorization settings, the
  same as the local stack's (``broker_security``);
- ``broker/format-users``: the ``--add-scram`` values for the admin and the broker, which must
  exist in the cluster's first metadata (every other user is created by provisioning);
- ``broker/client.properties``: the broker's own login for Kafka's command-line tools (the
  container's health check).

Nothing here is ever committed: the folder is a volume of the deployment.
"""

import argparse
import json
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from conveyor_contracts.topics import TOPICS
from conveyor_runtime.kafka_acl import ADMIN, BROKER, registry_actors
from conveyor_runtime.kafka_auth import MECHANISM

_CREDENTIALS = "credentials.json"


def principals() -> list[str]:
    """Every Kafka user a deployment needs: the admin, the brokers, the registry's actors."""
    return [ADMIN, BROKER, *registry_actors(TOPICS)]


def with_new_passwords(known: Mapping[str, str], wanted: list[str]) -> dict[str, str]:
    """``known`` plus a random password for each of ``wanted`` it has none for; a known
    password is never changed (rotating one is a deliberate act)."""
    return {**known, **{name: secrets.token_urlsafe(24) for name in wanted if name not in known}}


def broker_security(broker_password: str) -> list[str]:
    """The broker's server properties for SASL/SCRAM-SHA-512 on the client listener (clients,
    and brokers between themselves as ``broker``), SASL/PLAIN with a static ``broker`` user on
    the controller listener (SCRAM users live in the metadata log, which a controller has not
    read when the quorum forms: KAFKA-15513), and KRaft's StandardAuthorizer denying whatever
    no ACL allows, with ``admin`` and ``broker`` as super users."""
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
    return [
        f"sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        f"listener.name.sasl_plaintext.{MECHANISM.lower()}.sasl.jaas.config={scram} "
        f'required username="{BROKER}" password="{broker_password}";',
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        "sasl.mechanism.controller.protocol=PLAIN",
        f"listener.name.controller.plain.sasl.jaas.config={plain} required "
        f'username="{BROKER}" password="{broker_password}" user_{BROKER}="{broker_password}";',
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        f"super.users=User:{ADMIN};User:{BROKER}",
    ]


def client_properties(name: str, password: str) -> str:
    """A Java client's login (Kafka's tools take it as ``--command-config``)."""
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    return (
        f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism={MECHANISM}\n"
        f'sasl.jaas.config={scram} required username="{name}" password="{password}";\n'
    )


def format_user(name: str, password: str) -> str:
    """One ``kafka-storage format --add-scram`` value."""
    return f"{MECHANISM}=[name={name},password={password}]"


def write_secrets(folder: Path, owners: Mapping[str, int] | None = None) -> dict[str, str]:
    """Lay out every principal's secrets under ``folder`` (see the module docstring), keeping
    the passwords already there. ``owners`` maps a user's folder to the uid that must read it
    (the broker's image runs as another user than the services'); each file is readable by
    its owner only. Returns every password."""
    everything = folder / ADMIN / _CREDENTIALS
    known = json.loads(everything.read_text()) if everything.exists() else {}
    passwords = with_new_passwords(known, principals())
    for name, password in passwords.items():
        _write(folder / name / "password", password)
    _write(everything, json.dumps(passwords, indent=2, sort_keys=True) + "\n")
    _write(
        folder / BROKER / "sasl.properties", "\n".join(broker_security(passwords[BROKER])) + "\n"
    )
    _write(
        folder / BROKER / "format-users",
        "".join(format_user(name, passwords[name]) + "\n" for name in (ADMIN, BROKER)),
    )
    _write(folder / BROKER / "client.properties", client_properties(BROKER, passwords[BROKER]))
    for name, uid in (owners or {}).items():
        for path in (folder / name, *(folder / name).iterdir()):
            os.chown(path, uid, uid)
    return passwords


def _write(path: Path, text: str) -> None:
    # Written whole to a new file then renamed: a crash mid-write must not lose a password the
    # cluster already knows.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.touch(mode=0o600)
    partial.write_text(text)
    partial.replace(path)


def main() -> None:
    """Write a deployment's Kafka secrets (kept when they exist)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path, help="the deployment's secrets volume")
    parser.add_argument(
        "--owner",
        action="append",
        default=[],
        metavar="USER=UID",
        help="give a user's folder to the uid of the container that reads it",
    )
    arguments = parser.parse_args()
    owners = {user: int(uid) for user, _, uid in (o.partition("=") for o in arguments.owner)}
    written = write_secrets(arguments.folder, owners)
    sys.stdout.write(f"Kafka secrets of {len(written)} principals in {arguments.folder}\n")


if __name__ == "__main__":
    main()
