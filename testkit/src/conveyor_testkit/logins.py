"""How a test's clients log in to the session's Kafka: as the admin, or as a service's own
principal; not at all on a Kafka without authentication."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conveyor_runtime.kafka_acl import ADMIN
from conveyor_runtime.kafka_auth import KafkaCredentials, client_options, read_credentials


@dataclass(frozen=True)
class KafkaLogin:
    """A Kafka and how its principals log in: without a credentials file it does not
    authenticate, and every method gives what an unauthenticated client needs (nothing)."""

    bootstrap: str
    credentials_file: Path | None  # every principal's password, as the local stack makes them

    def credentials(self, user: str = ADMIN) -> KafkaCredentials | None:
        if self.credentials_file is None:
            return None
        return read_credentials(self.credentials_file, user)

    def options(self, user: str = ADMIN) -> dict[str, Any]:
        """aiokafka keyword arguments, bootstrap servers included, for ``user``."""
        return {"bootstrap_servers": self.bootstrap, **client_options(self.credentials(user))}

    def settings(self, service: str) -> dict[str, Any]:
        """``ServiceSettings`` fields that make ``service`` log in as its own principal."""
        login = self.credentials(service)
        if login is None:
            return {}
        return {"kafka_username": login.username, "kafka_password": login.password}

    def environment(self, service: str) -> dict[str, str]:
        """The same as ``<SERVICE>_KAFKA_*`` variables, for a service run as a process."""
        login = self.credentials(service)
        if login is None:
            return {}
        upper = service.upper()
        return {
            f"{upper}_KAFKA_USERNAME": login.username,
            f"{upper}_KAFKA_PASSWORD": login.password.get_secret_value(),
        }
