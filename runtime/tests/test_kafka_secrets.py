"""A deployment's Kafka secrets folder (deploy/compose.yaml), and a service reading its own."""

import json
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from conveyor_runtime.kafka_acl import ADMIN, BROKER
from conveyor_runtime.kafka_secrets import principals, write_secrets
from conveyor_runtime.settings import ServiceSettings


def test_every_principal_gets_a_folder_of_its_own_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    passwords = write_secrets(tmp_path)

    assert set(passwords) == set(principals())
    assert {"orders", "checkout", "warehouse", "carrier-swiftpost"} <= set(passwords)
    assert len(set(passwords.values())) == len(passwords)  # no two alike
    for name, password in passwords.items():
        path = tmp_path / name / "password"
        assert path.read_text() == password
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # A service's folder holds its own password and nothing else.
    assert [p.name for p in (tmp_path / "orders").iterdir()] == ["password"]
    assert json.loads((tmp_path / ADMIN / "credentials.json").read_text()) == passwords


def test_the_broker_gets_its_security_settings_and_the_users_of_its_first_metadata(
    tmp_path: Path,
) -> None:
    passwords = write_secrets(tmp_path)

    settings = (tmp_path / BROKER / "sasl.properties").read_text()
    assert "allow.everyone.if.no.acl.found=false" in settings
    assert f"super.users=User:{ADMIN};User:{BROKER}" in settings
    assert f'username="{BROKER}" password="{passwords[BROKER]}"' in settings
    assert passwords[ADMIN] not in settings  # the broker never needs the admin's password
    users = (tmp_path / BROKER / "format-users").read_text().splitlines()
    assert users == [
        f"SCRAM-SHA-512=[name={ADMIN},password={passwords[ADMIN]}]",
        f"SCRAM-SHA-512=[name={BROKER},password={passwords[BROKER]}]",
    ]


def test_a_second_run_keeps_every_password_and_adds_a_principal_that_is_new(
    tmp_path: Path,
) -> None:
    first = write_secrets(tmp_path)
    everything = tmp_path / ADMIN / "credentials.json"
    del first["carrier-swiftpost"]  # as if the registry gained that carrier since
    everything.write_text(json.dumps(first))

    second = write_secrets(tmp_path)

    assert {name: second[name] for name in first} == first
    assert second["carrier-swiftpost"] not in first.values()
    assert (tmp_path / "carrier-swiftpost" / "password").read_text() == second["carrier-swiftpost"]


class _Settings(ServiceSettings):
    service_name: str = "orders"
    mongo_database: str = "orders"


def test_a_service_reads_its_password_from_its_mounted_file(tmp_path: Path) -> None:
    passwords = write_secrets(tmp_path)
    settings = _Settings(kafka_username="orders", kafka_password_file=tmp_path / "orders/password")
    login = settings.kafka_credentials()
    assert login is not None
    assert login.password.get_secret_value() == passwords["orders"]
    # A password given outright wins over the file.
    given = _Settings(
        kafka_username="orders",
        kafka_password=SecretStr("given"),
        kafka_password_file=tmp_path / "orders/password",
    )
    assert given.kafka_credentials().password.get_secret_value() == "given"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="without kafka_password"):
        _Settings(kafka_username="orders").kafka_credentials()
