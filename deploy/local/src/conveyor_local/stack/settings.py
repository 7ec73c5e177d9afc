"""The local stack's settings and the paths every stack home shares: where the servers listen,
how many Kafka nodes, where a stack home keeps its state, how long a server may take to start,
and where the running stack answers (``Endpoints``). The CONVEYOR_* variables are described in
conveyor_local.stack.cli's docstring.
"""

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conveyor_runtime.kafka_acl import ADMIN
from conveyor_runtime.kafka_auth import KafkaCredentials, read_credentials


def _repository_root() -> Path:
    """The repository: the first folder above this file whose pyproject.toml declares the uv
    workspace (``[tool.uv.workspace]``); its .cache/ holds the installed servers and the default
    stack home."""
    for folder in Path(__file__).resolve().parents:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "workspace" in _uv_table(pyproject):
            return folder
    raise RuntimeError(f"{__file__} is not inside the Conveyor repository's workspace")


def _uv_table(pyproject: Path) -> dict[str, object]:
    uv: dict[str, object] = tomllib.loads(pyproject.read_text()).get("tool", {}).get("uv", {})
    return uv


ROOT = _repository_root()
CACHE = ROOT / ".cache"  # installed servers, shared by every stack home; the default home
BIN_DIR = CACHE / "bin"
# The default stack home's directories; a Settings.home has its own (Settings.data_dir, ...).
DATA_DIR = CACHE / "data"
LOG_DIR = CACHE / "logs"
RUN_DIR = CACHE / "run"

MAX_KAFKA_BROKERS = 5

PROBE_INTERVAL = 0.2


class StackError(RuntimeError):
    """Something the person running the stack has to act on; the message says what and where."""


@dataclass(frozen=True)
class Settings:
    """Where the servers listen, how many Kafka nodes, where the stack lives, how long each
    server may take to start."""

    host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    mongo_port: int = 27017
    otlp_grpc_port: int = 4317
    otlp_http_port: int = 4318
    jaeger_query_port: int = 16686
    jaeger_query_grpc_port: int = 16685
    jaeger_health_port: int = 13133
    start_timeout: float = 120.0
    kafka_brokers: int = 1
    home: Path = CACHE
    kafka_auth: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.kafka_brokers <= MAX_KAFKA_BROKERS:
            raise StackError(
                f"CONVEYOR_KAFKA_BROKERS={self.kafka_brokers}: give 1 to {MAX_KAFKA_BROKERS} "
                "(1 is the default stack, 3 the tested cluster)"
            )
        ports = self.all_ports()
        if clashes := sorted({port for port in ports if ports.count(port) > 1}):
            raise StackError(
                f"port(s) {', '.join(map(str, clashes))} given to two servers: Kafka node i "
                "takes CONVEYOR_KAFKA_PORT + 2(i-1) and CONVEYOR_KAFKA_CONTROLLER_PORT + 2(i-1)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Defaults, overridden by the CONVEYOR_* variables listed in the cli's docstring."""
        numbers = {
            field: _integer(env, variable)
            for field, variable in {**PORT_VARIABLES, "kafka_brokers": BROKERS_VARIABLE}.items()
            if env.get(variable)
        }
        home = Path(env.get("CONVEYOR_STACK_HOME") or cls.home)
        auth = env.get(AUTH_VARIABLE) or ("scram" if cls.kafka_auth else "none")
        if auth not in ("scram", "none"):
            raise StackError(f"{AUTH_VARIABLE}={auth!r}: give scram or none")
        return cls(
            kafka_auth=auth == "scram",
            host=env.get("CONVEYOR_STACK_HOST") or cls.host,
            start_timeout=float(env.get("CONVEYOR_STACK_START_TIMEOUT") or cls.start_timeout),
            home=(ROOT / home).resolve(),  # an absolute home stays as it is
            **numbers,
        )

    def port_variables(self) -> dict[str, str]:
        """The CONVEYOR_* port variables with the values in force (jaeger.yaml reads them)."""
        values = {variable: str(getattr(self, field)) for field, variable in PORT_VARIABLES.items()}
        return {**values, "CONVEYOR_STACK_HOST": self.host}

    def environment(self) -> dict[str, str]:
        """Every CONVEYOR_* variable of these settings: ``from_env`` of them gives them back
        (how a detached helper of the stack, such as a background build, gets its settings)."""
        return {
            **self.port_variables(),
            BROKERS_VARIABLE: str(self.kafka_brokers),
            AUTH_VARIABLE: "scram" if self.kafka_auth else "none",
            "CONVEYOR_STACK_START_TIMEOUT": repr(self.start_timeout),
            "CONVEYOR_STACK_HOME": str(self.home),
        }

    def kafka_node_ports(self, node: int) -> tuple[int, int]:
        """Kafka node ``node``'s (1..N) client and controller ports; every node a step of 2
        above the one before, so the default pair 9092/9093 interleaves: 9094/9095, ..."""
        step = 2 * (node - 1)
        return self.kafka_port + step, self.kafka_controller_port + step

    def kafka_bootstrap(self) -> str:
        """Every Kafka node's client address, as bootstrap servers."""
        return ",".join(
            f"{self.host}:{self.kafka_node_ports(node)[0]}"
            for node in range(1, self.kafka_brokers + 1)
        )

    def all_ports(self) -> list[int]:
        kafka = [port for n in range(self.kafka_brokers) for port in self.kafka_node_ports(n + 1)]
        others = [getattr(self, field) for field in PORT_VARIABLES if "kafka" not in field]
        return kafka + others

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def kafka_credentials_file(self) -> Path:
        """Every principal's generated password (with authentication on): see kafka_auth."""
        return self.home / "kafka" / "credentials.json"

    def kafka_admin(self) -> KafkaCredentials | None:
        """The provisioning principal, or None on a stack without authentication."""
        if not self.kafka_auth:
            return None
        return read_credentials(self.kafka_credentials_file, ADMIN)


def _integer(env: Mapping[str, str], variable: str) -> int:
    try:
        return int(env[variable])
    except ValueError:
        raise StackError(f"{variable}={env[variable]!r} is not a whole number") from None


BROKERS_VARIABLE = "CONVEYOR_KAFKA_BROKERS"
AUTH_VARIABLE = "CONVEYOR_KAFKA_AUTH"
PORT_VARIABLES = {
    "kafka_port": "CONVEYOR_KAFKA_PORT",
    "kafka_controller_port": "CONVEYOR_KAFKA_CONTROLLER_PORT",
    "mongo_port": "CONVEYOR_MONGO_PORT",
    "otlp_grpc_port": "CONVEYOR_OTLP_GRPC_PORT",
    "otlp_http_port": "CONVEYOR_OTLP_HTTP_PORT",
    "jaeger_query_port": "CONVEYOR_JAEGER_QUERY_PORT",
    "jaeger_query_grpc_port": "CONVEYOR_JAEGER_QUERY_GRPC_PORT",
    "jaeger_health_port": "CONVEYOR_JAEGER_HEALTH_PORT",
}


@dataclass(frozen=True)
class Endpoints:
    """Where the running stack answers, as clients and test fixtures need it."""

    kafka: str
    mongo_url: str
    otlp_http: str
    otlp_grpc: str
    jaeger: str
    # Every principal's password when Kafka authenticates (the stack's credentials file).
    kafka_credentials: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> "Endpoints":
        host = settings.host
        return cls(
            kafka=settings.kafka_bootstrap(),
            mongo_url=f"mongodb://{host}:{settings.mongo_port}/",
            otlp_http=f"http://{host}:{settings.otlp_http_port}",
            otlp_grpc=f"http://{host}:{settings.otlp_grpc_port}",
            jaeger=f"http://{host}:{settings.jaeger_query_port}",
            kafka_credentials=settings.kafka_credentials_file if settings.kafka_auth else None,
        )

    def kafka_login(self, user: str = ADMIN) -> KafkaCredentials | None:
        """How ``user`` logs in to this Kafka (None: it does not authenticate). The tools (the
        demo's observer, the auditor, the fault injector) are the admin."""
        if self.kafka_credentials is None:
            return None
        return read_credentials(self.kafka_credentials, user)
