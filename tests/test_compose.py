"""deploy/compose.yaml, read as data: this machine has no Docker engine to run it, so what can
be checked without one is checked here. Every service logs in to Kafka as its own principal with
a password file that the deployment's secrets layout (``kafka_secrets``) really writes, mounts
no other principal's secrets, and takes only settings its service defines; the broker accepts
nothing unauthenticated."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from conveyor_runtime.kafka_acl import ADMIN, BROKER
from conveyor_runtime.kafka_secrets import write_secrets
from conveyor_testkit import repository_root
from inventory.settings import InventorySettings
from orders.settings import OrdersSettings
from shipping.settings import ShippingSettings
from support.settings import SupportSettings

ROOT = repository_root()
SETTINGS = {
    "orders": OrdersSettings,
    "inventory": InventorySettings,
    "shipping": ShippingSettings,
    "support": SupportSettings,
}
MOUNT = "/run/secrets/kafka"  # where a container finds its own secrets folder


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    return document["services"]


def _secrets_folders(container: dict[str, Any]) -> dict[str, str]:
    """Mount point -> subpath of the secrets volume, for every mount of it."""
    return {
        volume["target"]: volume["volume"]["subpath"]
        for volume in container.get("volumes", [])
        if isinstance(volume, dict) and volume.get("source") == "secrets"
    }


@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_logs_in_as_itself_with_only_its_own_secret_mounted(
    compose: dict[str, Any], service: str, tmp_path: Path
) -> None:
    container = compose[service]
    prefix = f"{service.upper()}_"
    env = container["environment"]
    assert env[f"{prefix}KAFKA_USERNAME"] == service
    assert f"{prefix}KAFKA_PASSWORD" not in env  # a file, never a variable
    assert _secrets_folders(container) == {MOUNT: service, "/run/secrets/jwks": "jwks"}
    # Every variable is a setting of the service (a typo would be ignored silently).
    fields = SETTINGS[service].model_fields
    assert all(name.removeprefix(prefix).lower() in fields for name in env), env
    # The file it names is the one the secrets layout writes in the service's folder.
    write_secrets(tmp_path)
    password_file = Path(env[f"{prefix}KAFKA_PASSWORD_FILE"])
    assert password_file.parent == Path(MOUNT)
    assert (tmp_path / service / password_file.name).is_file()
    assert env[f"{prefix}JWKS_PATH"].startswith("/run/secrets/jwks/")


def test_the_broker_and_the_provisioner_mount_only_their_own_folders(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    assert _secrets_folders(compose["kafka"]) == {MOUNT: BROKER}
    assert _secrets_folders(compose["topics"]) == {MOUNT: ADMIN}
    assert compose["secrets"]["volumes"][0] == "secrets:/secrets"
    # What they read is what the layout writes.
    write_secrets(tmp_path)
    start = (ROOT / "deploy" / "compose" / "kafka-start.sh").read_text()
    for name in ("sasl.properties", "format-users"):
        assert f"$secrets/{name}" in start
        assert (tmp_path / BROKER / name).is_file()
    assert f"{MOUNT}/client.properties" in " ".join(compose["kafka"]["healthcheck"]["test"])
    assert (tmp_path / BROKER / "client.properties").is_file()
    command = compose["topics"]["command"]
    credentials = Path(command[command.index("--credentials") + 1])
    assert credentials.parent == Path(MOUNT)
    assert (tmp_path / ADMIN / credentials.name).is_file()


def test_the_compose_broker_listens_only_with_authentication() -> None:
    properties = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "compose" / "kafka.properties").read_text().splitlines()
        if line and not line.startswith("#")
    )
    protocols = dict(
        pair.split(":") for pair in properties["listener.security.protocol.map"].split(",")
    )
    listeners = [entry.split("://")[0] for entry in properties["listeners"].split(",")]
    assert {protocols[name] for name in listeners} == {"SASL_PLAINTEXT"}
    assert properties["auto.create.topics.enable"] == "false"
