"""A Kafka client's SASL/SCRAM-SHA-512 credentials, and the one file the local stack keeps them in.

Every client of the mesh (services, tools, tests) is built with ``KafkaCredentials`` or with
none (a broker without authentication). The local stack generates one password per principal
at its first start into ``<stack home>/kafka/credentials.json`` (git-ignored, mode 0600):
``{"admin": "...", "orders": "...", "carrier-swiftpost": "...", ...}``.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream.security import SASLScram512
from pydantic import SecretStr

MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaCredentials:
    """Who a client is to the broker; the password never shows in a repr or a log."""

    username: str
    password: SecretStr

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        return {
            # Loopback only: TLS would cost CPU this stack does not have (see docs/security.md).
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password.get_secret_value(),
        }

    def security(self) -> SASLScram512:
        """The same, for a FastStream ``KafkaBroker(security=...)``."""
        return SASLScram512(self.username, self.password.get_secret_value())


def client_options(credentials: KafkaCredentials | None) -> dict[str, Any]:
    """aiokafka keyword arguments: none for an unauthenticated broker."""
    return credentials.client_options() if credentials else {}


def read_credentials(path: Path, username: str) -> KafkaCredentials:
    """One principal's credentials from a stack's credentials file.

    Raises:
        KeyError: The file has no such principal.
        FileNotFoundError: The stack never generated credentials there.
    """
    passwords: dict[str, str] = json.loads(path.read_text())
    return KafkaCredentials(username, SecretStr(passwords[username]))
