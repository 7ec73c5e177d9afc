"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from conveyor_runtime.kafka_auth import KafkaCredentials

# What the development issuer (``python -m conveyor_runtime.tokens``) signs, and so what a
# service accepts unless told otherwise.
DEV_TOKEN_ISSUER = "conveyor-dev"
DEV_TOKEN_AUDIENCE = "conveyor"
DEV_JWKS_PATH = Path(".cache/tokens/jwks.json")


class KafkaClientSettings(BaseSettings):
    """Where a Kafka client connects, who it is there, and its deployment's topic prefix: what
    every service and every operator's command line shares.

    A subclass sets its own ``env_prefix`` (``ORDERS_``, ``DEAD_LETTERS_``), so that, for
    example, ``ORDERS_KAFKA_BOOTSTRAP_SERVERS`` configures the orders service only.
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092")
    kafka_username: str | None = Field(
        default=None,
        description="SASL/SCRAM-SHA-512 user (the client's principal); None: no authentication.",
    )
    kafka_password: SecretStr | None = Field(default=None, description="That user's password.")
    kafka_password_file: Path | None = Field(
        default=None,
        # A deployment mounts each service's own secret as a file (deploy/compose.yaml): an
        # environment variable would show in `docker inspect` and every child process.
        description="A file holding that password, read when kafka_password is not given.",
    )
    topic_prefix: str = Field(
        default="",
        description="Prepended to every topic and group id; lets tests and tenants share a broker.",
    )

    def kafka_credentials(self) -> KafkaCredentials | None:
        """Who the client is to Kafka, or None for a broker without authentication."""
        if self.kafka_username is None:
            return None
        password = self.kafka_password
        if password is None and self.kafka_password_file is not None:
            password = SecretStr(self.kafka_password_file.read_text().strip())
        if password is None:
            raise ValueError("kafka_username is set without kafka_password (or its file)")
        return KafkaCredentials(self.kafka_username, password)

    def topic(self, name: str) -> str:
        """The deployed name of a registry topic (or consumer group): prefix + name."""
        return self.topic_prefix + name


class ServiceSettings(KafkaClientSettings):
    """Endpoints and knobs every service needs, Kafka's included; a service subclass sets
    ``model_config = SettingsConfigDict(env_prefix="ORDERS_")``."""

    service_name: str = Field(description="OpenTelemetry service.name and Kafka client id.")
    mongo_url: str = Field(default="mongodb://127.0.0.1:27017/")
    mongo_database: str = Field(description="The service's own database.")
    otlp_endpoint: str | None = Field(
        default="http://127.0.0.1:4318",
        description="OTLP/HTTP collector base URL (Jaeger); None disables export.",
    )
    http_host: str = Field(default="127.0.0.1")
    http_port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = Field(default="INFO")
    outbox_sweep_seconds: float = Field(
        default=300.0,
        gt=0,
        # Rare on purpose: FerretDB answers the sweep's filter by decoding every document (2.5 s
        # for 8,600 orders, measured). Writers hand the relay their events and a failed publish
        # is retried in-process; the sweep at start finds what a crash left, and this one what
        # an instance gone for good left.
        description="How often the relay rescans for outbox entries a crash left behind.",
    )
    trace_database: bool = Field(
        default=False,
        # Off by default: a span per database command was most of an order's spans (about a
        # hundred of them) for little an SRE reads; the handling span's duration covers them.
        description="Whether every database command becomes a span of its handler's trace.",
    )
    consumer_batch_records: int = Field(
        default=500, gt=0, description="The most messages one consumer batch holds."
    )
    consumer_batch_wait_ms: int = Field(
        default=10,
        gt=0,
        # Short: a batch takes what the broker has and never waits to fill; this is only how
        # long an idle poll waits, so it bounds the delay a lone message can see per hop.
        description="How long a consumer's poll waits when nothing is there.",
    )
    consumer_concurrency: int = Field(
        default=32, gt=0, description="Keys of one batch handled at the same time."
    )
    lag_poll_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often consumer lag is measured (conveyor_consumer_lag).",
    )

    jwks_path: Path = Field(
        default=DEV_JWKS_PATH,
        # A file, not a URL: the issuer publishes its public keys where the services read them,
        # and a rotation is a new file (read again when it changes), not a restart.
        description="The JSON Web Key Set whose keys sign the HTTP API's bearer tokens.",
    )
    token_issuer: str = Field(
        default=DEV_TOKEN_ISSUER, description="The `iss` a bearer token must carry."
    )
    token_audience: str = Field(
        default=DEV_TOKEN_AUDIENCE, description="The `aud` a bearer token must carry."
    )
