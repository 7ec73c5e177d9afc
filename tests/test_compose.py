"""deploy/compose.yaml, read as data: this machine has no Docker engine to run it, so what can
be checked without one is checked here. Every service logs in to Kafka as its own principal with
a password file that the deployment's secrets layout (``kafka_secrets``) really writes, mounts
no other principal's secrets, and takes only settings its service defines; the broker accepts
nothing unauthenticated. Every long-running container has a health check (the services' one is
run here against a stand-in server), data lives in declared volumes, the broker is the version
the local stack tests, a token minted as the file's header says is accepted by support, the
Prometheus and Grafana files use only jobs and metrics the services have, and each image's
Dockerfile installs the workspace members its package needs from a context that holds them."""

import json
import os
import re
import shlex
import subprocess
import sys
import threading
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from conveyor_local.stack.jaeger import JAEGER_RELEASE, Jaeger
from conveyor_local.stack.kafka_build import KafkaBuild
from conveyor_runtime.kafka_acl import ADMIN, BROKER
from conveyor_runtime.kafka_secrets import write_secrets
from conveyor_runtime.memory import build_memory_infrastructure
from conveyor_runtime.service import build_infrastructure
from conveyor_runtime.settings import ServiceSettings
from conveyor_testkit import repository_root
from inventory.app import InventoryDeps
from inventory.app import create_app as create_inventory
from inventory.settings import InventorySettings
from orders.app import OrdersDeps
from orders.app import create_app as create_orders
from orders.settings import OrdersSettings
from shipping.app import ShippingDeps
from shipping.app import create_app as create_shipping
from shipping.settings import ShippingSettings
from support.app import SupportDeps
from support.app import create_app as create_support
from support.settings import SupportSettings

ROOT = repository_root()
DEPLOY = ROOT / "deploy"  # compose resolves the file's relative paths from here
SETTINGS: dict[str, type[ServiceSettings]] = {
    "orders": OrdersSettings,
    "inventory": InventorySettings,
    "shipping": ShippingSettings,
    "support": SupportSettings,
}
MOUNT = "/run/secrets/kafka"  # where a container finds its own secrets folder


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def compose(document: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = document["services"]
    return services


@dataclass(frozen=True)
class Mount:
    kind: str  # "bind" or "volume"
    source: str  # a path relative to deploy/ (bind) or a volume's name
    target: str
    subpath: str | None = None


def _mounts(container: dict[str, Any]) -> list[Mount]:
    found = []
    for volume in container.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
            kind = "bind" if source.startswith((".", "/")) else "volume"
            found.append(Mount(kind, source, target))
        else:
            subpath = volume.get("volume", {}).get("subpath")
            found.append(Mount(volume["type"], volume["source"], volume["target"], subpath))
    return found


def _bound(container: dict[str, Any], path: str) -> Path:
    """The repository file a container sees at ``path`` through its bind mounts."""
    for mount in _mounts(container):
        if mount.kind == "bind" and PurePosixPath(path).is_relative_to(mount.target):
            inside = PurePosixPath(path).relative_to(mount.target)
            return (DEPLOY / mount.source / inside).resolve()
    raise AssertionError(f"nothing is bound at {path}")


def _on_volume(container: dict[str, Any], path: str, volume: str, root: Path) -> Path:
    """Where ``path`` of the container is in ``volume`` when that volume's root is ``root``."""
    for mount in _mounts(container):
        inside_mount = PurePosixPath(path).is_relative_to(mount.target)
        if mount.kind == "volume" and mount.source == volume and inside_mount:
            inside = PurePosixPath(path).relative_to(mount.target)
            return root / (mount.subpath or "") / inside
    raise AssertionError(f"{path} is on no mount of the {volume} volume")


def _secrets_folders(container: dict[str, Any]) -> dict[str, str]:
    """Mount point -> subpath of the secrets volume, for every mount of it."""
    return {
        mount.target: mount.subpath or ""
        for mount in _mounts(container)
        if mount.kind == "volume" and mount.source == "secrets"
    }


def _one_shot(compose: dict[str, Any]) -> set[str]:
    """The containers others wait on to have exited: the rest run for good."""
    return {
        name
        for container in compose.values()
        for name, dependency in container.get("depends_on", {}).items()
        if dependency["condition"] == "service_completed_successfully"
    }


def _http_port(compose: dict[str, Any], service: str) -> int:
    return int(compose[service]["environment"][f"{service.upper()}_HTTP_PORT"])


# --- the services' settings and secrets ------------------------------------------------------


def test_the_service_containers_are_the_four_services_each_from_its_own_dockerfile(
    compose: dict[str, Any],
) -> None:
    # A container built from a service's image and running its default command is a service.
    services = {
        name
        for name, container in compose.items()
        if "build" in container and not {"command", "entrypoint"} & set(container)
    }
    assert services == set(SETTINGS)
    for service in SETTINGS:
        assert compose[service]["build"] == {
            "context": "..",
            "dockerfile": f"services/{service}/Dockerfile",
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
    # The file it names is the one the secrets layout writes in the service's folder.
    write_secrets(tmp_path)
    password_file = Path(env[f"{prefix}KAFKA_PASSWORD_FILE"])
    assert password_file.parent == Path(MOUNT)
    assert (tmp_path / service / password_file.name).is_file()
    assert env[f"{prefix}JWKS_PATH"].startswith("/run/secrets/jwks/")


@pytest.mark.parametrize("service", SETTINGS)
def test_every_variable_of_a_service_is_one_of_its_settings_and_parses(
    compose: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A typo, or another service's prefix, would be ignored silently (extra="ignore").
    prefix = f"{service.upper()}_"
    env: dict[str, Any] = compose[service]["environment"]
    fields = SETTINGS[service].model_fields
    for name in env:
        assert name.startswith(prefix), f"{service}: {name} lacks the {prefix} prefix"
        assert name.removeprefix(prefix).lower() in fields, f"{service}: {name} is no setting"
    for name in list(os.environ):
        if name.startswith(prefix):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    settings = SETTINGS[service]()  # the values have the settings' types
    for name, value in env.items():
        assert str(getattr(settings, name.removeprefix(prefix).lower())) == str(value)


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


def _kafka_properties() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "compose" / "kafka.properties").read_text().splitlines()
        if line and not line.startswith("#")
    )


def test_the_compose_broker_listens_only_with_authentication() -> None:
    properties = _kafka_properties()
    protocols = dict(
        pair.split(":") for pair in properties["listener.security.protocol.map"].split(",")
    )
    listeners = [entry.split("://")[0] for entry in properties["listeners"].split(",")]
    assert {protocols[name] for name in listeners} == {"SASL_PLAINTEXT"}
    assert properties["auto.create.topics.enable"] == "false"


def test_compose_runs_the_kafka_version_the_local_stack_tests(compose: dict[str, Any]) -> None:
    pom = ET.parse(KafkaBuild.pom).getroot()
    pinned = pom.findtext(
        "{http://maven.apache.org/POM/4.0.0}properties/"
        "{http://maven.apache.org/POM/4.0.0}kafka.version"
    )
    assert pinned is not None
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), pinned
    image, _, tag = compose["kafka"]["image"].partition(":")
    assert (image, tag) == ("apache/kafka", pinned)


def test_compose_runs_the_jaeger_release_the_local_stack_builds(compose: dict[str, Any]) -> None:
    assert compose["jaeger"]["image"] == f"jaegertracing/jaeger:{JAEGER_RELEASE}"


# --- tokens ----------------------------------------------------------------------------------


def _header(document_text: str) -> str:
    lines = []
    for line in document_text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("#").strip())
    return "\n".join(lines)


def _documented(command: str) -> list[str]:
    """The arguments after ``secrets`` of the header's ``run --rm -T secrets <command> ...``."""
    header = _header((DEPLOY / "compose.yaml").read_text())
    # -T: without it, compose gives the container a terminal and the token ends in "\r".
    found = re.search(
        rf"docker compose -f deploy/compose\.yaml run --rm -T secrets ({command}[^)\n]*)", header
    )
    assert found, f"the compose header shows no `run --rm -T secrets {command}`"
    return shlex.split(found.group(1))


def _secrets_entry_point(
    compose: dict[str, Any],
    arguments: list[str],
    volume: Path,
    environment: dict[str, str] | None = None,
) -> str:
    """Run the ``secrets`` container's entry point as ``docker compose run`` would, on a folder
    standing in for the volume it mounts; its stdout."""
    container = compose["secrets"]
    shell, script = container["entrypoint"]
    assert shell == "sh"
    source = _bound(container, script)
    assert "${CONVEYOR_SECRETS:-/secrets}" in source.read_text()
    assert Mount("volume", "secrets", "/secrets") in _mounts(container)
    environment = {
        **os.environ,
        "CONVEYOR_SECRETS": str(volume),
        # The image's PATH starts with its virtual environment: this one's here.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        **(environment or {}),
    }
    done = subprocess.run(
        ["sh", str(source), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _support_as_in_compose(
    compose: dict[str, Any], volume: Path, monkeypatch: pytest.MonkeyPatch
) -> FastAPI:
    """Support's app with compose's environment, its secret paths mapped onto ``volume``."""
    container = compose["support"]
    for name, value in container["environment"].items():
        text = str(value)
        if text.startswith("/run/secrets/"):
            text = str(_on_volume(container, text, "secrets", volume))
        monkeypatch.setenv(name, text)
    settings = SupportSettings(otlp_endpoint=None)  # no trace exporter in a test
    return create_support(settings, SupportDeps.in_memory(build_memory_infrastructure(settings)))


async def test_a_token_minted_as_the_compose_header_says_is_accepted_by_support(
    compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    volume = tmp_path / "secrets"
    write_secrets(volume)  # the first run's Kafka half (its owners need root)
    mint = _documented("token mint")
    assert mint[:2] == ["token", "mint"]
    assert mint[mint.index("--role") + 1] == "agent"
    agent = _secrets_entry_point(compose, mint, volume)
    assert agent.endswith("\n")
    assert agent.count("\n") == 1  # the bare token, alone
    operator = _secrets_entry_point(
        compose, ["token", "mint", "--role", "operator", "--subject", "opr_1"], volume
    )
    app = _support_as_in_compose(compose, volume, monkeypatch)
    path = "/orders/ord_unknown/timeline"

    async def status(token: str | None) -> int:
        headers = {"Authorization": f"Bearer {token.strip()}"} if token else {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://support") as client:
            return (await client.get(path, headers=headers)).status_code

    assert await status(agent) == 404  # authenticated and allowed: no such order
    assert await status(operator) == 403  # a valid token of a role support does not take
    assert await status(None) == 401
    # A rotation reaches the key set the services read: the new key signs, the previous one
    # still verifies, and a second rotation drops it.
    assert _documented("token rotate") == ["token", "rotate"]
    _secrets_entry_point(compose, ["token", "rotate"], volume)
    assert await status(agent) == 404
    assert await status(_secrets_entry_point(compose, mint, volume)) == 404
    _secrets_entry_point(compose, ["token", "rotate"], volume)
    assert await status(agent) == 401


# Started in the script's Python processes (``sitecustomize`` is imported at start from
# PYTHONPATH): ``os.chown`` records instead of changing owners, which needs root, so the first
# run works as any user and the test reads which uid each folder is given.
_RECORDING_CHOWN = """
import json, os

def _chown(path, uid, gid, *args, **kwargs):
    with open(os.environ["CONVEYOR_TEST_CHOWNS"], "a") as log:
        log.write(json.dumps([os.fspath(path), uid, gid]) + "\\n")

os.chown = _chown
"""


def test_the_first_run_publishes_the_issuers_public_key_set_only(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    assert compose["secrets"]["command"] == ["/secrets"]  # the volume, here volume/
    volume, shims, chowns = tmp_path / "volume", tmp_path / "shims", tmp_path / "chowns.jsonl"
    shims.mkdir()
    (shims / "sitecustomize.py").write_text(_RECORDING_CHOWN)
    recording = {"PYTHONPATH": str(shims), "CONVEYOR_TEST_CHOWNS": str(chowns)}
    _secrets_entry_point(compose, [str(volume)], volume, recording)
    given = {
        Path(path).relative_to(volume).parts[0]: uid
        for path, uid, _ in map(json.loads, chowns.read_text().splitlines())
    }
    # The broker's image runs as uid 1000, Conveyor's (services and provisioner) as 10001.
    assert given == {"broker": 1000, "admin": 10001, **dict.fromkeys(SETTINGS, 10001)}
    published = volume / "jwks" / "jwks.json"
    assert published.read_text() == (volume / "issuer" / "jwks.json").read_text()
    assert published.stat().st_mode & 0o777 == 0o644
    assert all("d" not in key for key in json.loads(published.read_text())["keys"])
    assert sorted(path.name for path in (volume / "jwks").iterdir()) == ["jwks.json"]
    for service in SETTINGS:
        assert _secrets_folders(compose[service])["/run/secrets/jwks"] == "jwks"


# --- health checks, dependencies and volumes ---------------------------------------------------


def test_every_long_running_container_has_a_health_check(compose: dict[str, Any]) -> None:
    assert _one_shot(compose) == {"secrets", "topics"}
    long_running = set(compose) - _one_shot(compose)
    assert {"kafka", "mongo", "jaeger", "prometheus", "grafana", *SETTINGS} <= long_running
    for name in long_running:
        check = compose[name].get("healthcheck")
        assert check, f"{name} has no health check"
        assert not check.get("disable"), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert len(check["test"]) > 1, name
        assert compose[name].get("restart") == "unless-stopped", name
    for name, container in compose.items():
        for dependency, condition in container.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in compose[dependency], f"{name} waits on {dependency}"


def test_containers_wait_for_what_they_need_to_be_healthy(compose: dict[str, Any]) -> None:
    for service in SETTINGS:
        assert compose[service]["depends_on"] == {
            "topics": {"condition": "service_completed_successfully"},
            "mongo": {"condition": "service_healthy"},
            "jaeger": {"condition": "service_healthy"},
        }
    assert compose["topics"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert compose["kafka"]["depends_on"] == {
        "secrets": {"condition": "service_completed_successfully"}
    }
    assert compose["grafana"]["depends_on"] == {"prometheus": {"condition": "service_healthy"}}


@dataclass
class StandIn:
    """What a stand-in for a service's HTTP server answers, and what it was asked."""

    status: int = 200
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def readiness() -> Iterator[tuple[StandIn, int]]:
    """A stand-in server on a free port: answers ``status`` to any GET."""
    stand_in = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stand_in.paths.append(self.path)
            self.send_response(stand_in.status)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("service", SETTINGS)
def test_a_services_health_check_is_its_readiness_through_python_urllib(
    compose: dict[str, Any],
    service: str,
    readiness: tuple[StandIn, int],
    built: dict[str, tuple[FastAPI, CollectorRegistry]],
) -> None:
    app, _ = built[service]
    assert "/readyz" in app.openapi()["paths"]
    test = compose[service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test  # the slim image has neither curl nor wget
    code = test[3]
    assert "urllib" in code
    address = f"127.0.0.1:{_http_port(compose, service)}"
    assert f"http://{address}/readyz" in code
    stand_in, port = readiness
    probe = [sys.executable, "-c", code.replace(address, f"127.0.0.1:{port}")]
    # Run for real against the stand-in: 200 is healthy, 503 (a dependency down) is not.
    assert subprocess.run(probe, capture_output=True, timeout=30, check=False).returncode == 0
    stand_in.status = 503
    assert subprocess.run(probe, capture_output=True, timeout=30, check=False).returncode != 0
    assert stand_in.paths == ["/readyz", "/readyz"]


def _endpoint_port(endpoint: str) -> int:
    """The port of a jaeger.yaml endpoint such as ``${env:HOST:-127.0.0.1}:${env:PORT:-13133}``."""
    found = re.search(r":(?:\$\{env:\w+:-)?(\d+)\}?$", endpoint)
    assert found, endpoint
    return int(found.group(1))


def test_jaeger_runs_the_local_stacks_configuration_with_its_health_check(
    compose: dict[str, Any],
) -> None:
    jaeger = compose["jaeger"]
    command = jaeger["command"]
    config = _bound(jaeger, command[command.index("--config") + 1])
    assert config == Jaeger.config.resolve()
    settings = yaml.safe_load(config.read_text())
    assert "healthcheckv2" in settings["service"]["extensions"]
    health = settings["extensions"]["healthcheckv2"]["http"]["endpoint"]
    assert "CONVEYOR_STACK_HOST" in health
    assert jaeger["environment"]["CONVEYOR_STACK_HOST"] == "0.0.0.0"  # reachable from others
    assert f"http://127.0.0.1:{_endpoint_port(health)}/status" in jaeger["healthcheck"]["test"]
    # The services export to its OTLP/HTTP receiver.
    otlp = _endpoint_port(settings["receivers"]["otlp"]["protocols"]["http"]["endpoint"])
    for service in SETTINGS:
        endpoint = urlsplit(compose[service]["environment"][f"{service.upper()}_OTLP_ENDPOINT"])
        assert (endpoint.hostname, endpoint.port) == ("jaeger", otlp)


def test_data_lives_in_declared_named_volumes(
    document: dict[str, Any], compose: dict[str, Any]
) -> None:
    declared = set(document["volumes"])
    for name, container in compose.items():
        for mount in _mounts(container):
            if mount.kind == "volume":
                assert mount.source in declared, f"{name} mounts undeclared {mount.source}"
            else:
                assert (DEPLOY / mount.source).exists(), f"{name} binds missing {mount.source}"
    data = {
        "kafka": _kafka_properties()["log.dirs"],
        "mongo": "/data/db",
        "prometheus": "/prometheus",
        "grafana": "/var/lib/grafana",
    }
    volumes = []
    for name, target in data.items():
        [mount] = [m for m in _mounts(compose[name]) if m.target == target]
        assert mount.kind == "volume", name
        assert mount.subpath is None, name
        volumes.append(mount.source)
    assert len(set(volumes)) == len(volumes)  # one each


# --- Prometheus and Grafana --------------------------------------------------------------------


def _built(service: str) -> tuple[FastAPI, CollectorRegistry]:
    """A service's app as its code builds it (never started), and its metrics' registry."""
    match service:
        case "orders":
            orders = OrdersSettings(otlp_endpoint=None)
            infra = build_infrastructure(orders)
            app = create_orders(orders, OrdersDeps.on_mongo(infra))
        case "inventory":
            inventory = InventorySettings(otlp_endpoint=None)
            infra = build_infrastructure(inventory)
            app = create_inventory(inventory, InventoryDeps.on_mongo(infra))
        case "shipping":
            shipping = ShippingSettings(otlp_endpoint=None)
            infra = build_infrastructure(shipping)
            app = create_shipping(shipping, ShippingDeps.on_mongo(infra))
        case _:
            support = SupportSettings(otlp_endpoint=None)
            infra = build_infrastructure(support)
            app = create_support(support, SupportDeps.on_mongo(infra))
    return app, infra.metrics.registry


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[FastAPI, CollectorRegistry]]:
    return {service: _built(service) for service in SETTINGS}


SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}


@pytest.fixture(scope="module")
def exported(built: dict[str, tuple[FastAPI, CollectorRegistry]]) -> dict[str, set[str]]:
    """Per service, the sample names its /metrics can carry."""
    return {
        service: {
            family.name + suffix
            for family in registry.collect()
            for suffix in SUFFIXES.get(family.type, ("",))
        }
        for service, (_, registry) in built.items()
    }


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
PROMQL_WORDS |= {"and", "or", "unless", "offset", "bool", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, keywords, label matchers,
    grouping labels, ranges and Grafana's $variables left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for found in re.finditer(r"(?<![\w.$])[A-Za-z_:][\w:]*", text):
        if found.group() in PROMQL_WORDS or text[found.end() :].lstrip().startswith("("):
            continue
        names.add(found.group())
    return names


def job_selectors(expr: str) -> list[tuple[str, str]]:
    """(metric, job) for every selector of the expression that names a job."""
    return [
        (metric, job.group(1))
        for metric, matchers in re.findall(r"([A-Za-z_:][\w:]*)\s*\{([^}]*)\}", expr)
        for job in [re.search(r'\bjob\s*=\s*"([^"]*)"', matchers)]
        if job
    ]


def test_the_promql_reader_finds_metric_names_and_only_them() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (job, le) (rate(a_bucket{job="orders", x=~"y.z"}'
        "[$__rate_interval]))) / on (job) group_left b_total > 1e3 and c offset 5m"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}
    assert job_selectors(expr) == [("a_bucket", "orders")]


def _prometheus(compose: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        _bound(compose["prometheus"], "/etc/prometheus/prometheus.yml").read_text()
    )
    return loaded


def test_prometheus_scrapes_every_service_and_loads_the_alert_rules(
    compose: dict[str, Any], built: dict[str, tuple[FastAPI, CollectorRegistry]]
) -> None:
    config = _prometheus(compose)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(SETTINGS)  # the alert rules' jobs are named after the services
    for service, job in jobs.items():
        targets = [t for static in job["static_configs"] for t in static["targets"]]
        assert targets == [f"{service}:{_http_port(compose, service)}"]
        path = job.get("metrics_path", "/metrics")
        app, _ = built[service]
        assert path in app.openapi()["paths"], f"{service} serves no {path}"
    [rules] = config["rule_files"]
    loaded = _bound(compose["prometheus"], str(PurePosixPath("/etc/prometheus") / rules))
    assert loaded == (DEPLOY / "prometheus" / "alerts.yaml").resolve()
    alerts = loaded.read_text()
    assert f'up{{job=~"{"|".join(SETTINGS)}"}}' in alerts


def _dashboards(compose: dict[str, Any]) -> list[Path]:
    grafana = compose["grafana"]
    [provider_file] = _bound(grafana, "/etc/grafana/provisioning/dashboards").glob("*.yaml")
    [provider] = yaml.safe_load(provider_file.read_text())["providers"]
    folder = _bound(grafana, provider["options"]["path"])
    return sorted(folder.glob("*.json"))


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # a collapsed row's


def test_grafana_provisions_prometheus_and_one_dashboard_on_it(compose: dict[str, Any]) -> None:
    grafana = compose["grafana"]
    [sources_file] = _bound(grafana, "/etc/grafana/provisioning/datasources").glob("*.yaml")
    [source] = yaml.safe_load(sources_file.read_text())["datasources"]
    assert source["type"] == "prometheus"
    url = urlsplit(source["url"])
    assert url.hostname == "prometheus"
    assert url.hostname in compose
    assert f"{url.port}:{url.port}" in compose["prometheus"]["ports"]
    [dashboard_file] = _dashboards(compose)
    dashboard = json.loads(dashboard_file.read_text())
    panels = list(_panels(dashboard))
    assert panels
    for panel in panels:
        for target in panel.get("targets", []):
            for datasource in (panel["datasource"], target["datasource"]):
                assert datasource == {"type": "prometheus", "uid": source["uid"]}, panel["title"]


def test_the_dashboard_shows_only_metrics_the_services_export(
    compose: dict[str, Any], exported: dict[str, set[str]]
) -> None:
    [dashboard_file] = _dashboards(compose)
    dashboard = json.loads(dashboard_file.read_text())
    jobs = {job["job_name"] for job in _prometheus(compose)["scrape_configs"]}
    everything = set().union(*exported.values()) | {"up"}  # up: Prometheus's own, per target
    used: set[str] = set()
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            names = metric_names(target["expr"])
            assert names, f"{panel['title']}: {target['expr']}"
            assert names <= everything, f"{panel['title']} uses unknown {names - everything}"
            for metric, job in job_selectors(target["expr"]):
                assert job in jobs, f"{panel['title']}: no scrape job {job}"
                assert metric in exported[job], f"{panel['title']}: {job} has no {metric}"
            used |= names
    # What the dashboard is for: orders/s, lag, dead letters, stuck orders, p95 per hop.
    assert {
        "conveyor_messages_consumed_total",
        "conveyor_consumer_lag",
        "conveyor_messages_dead_lettered_total",
        "conveyor_orders_stuck",
        "conveyor_handler_seconds_bucket",
    } <= used
    exprs = [t["expr"] for p in _panels(dashboard) for t in p.get("targets", [])]
    assert any(e.startswith("histogram_quantile(0.95,") and "topic" in e for e in exprs)


# --- images ---------------------------------------------------------------------------------


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    logical, current = [], ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#") and not current:
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            if current.strip():
                logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def workspace_members_needed(package: str) -> set[str]:
    """The workspace members (their paths) ``package`` needs installed, itself included, as
    uv.lock resolves them."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {entry["name"]: entry for entry in lock["package"]}
    members = {
        name: entry["source"].get("editable") or entry["source"].get("virtual")
        for name, entry in packages.items()
        if {"editable", "virtual"} & set(entry["source"])
    }
    needed, todo = set(), [package]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        todo += [dependency["name"] for dependency in packages[name].get("dependencies", [])]
    return {members[name] for name in needed if name in members}


def _ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pattern(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*/|\*\*|\*|\?|\[[^\]]*\])", pattern.strip("/"))
    regex = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile(
        "".join(regex.get(p) or (p if p.startswith("[") else re.escape(p)) for p in parts)
    )


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative to the root) out of the build context:
    a pattern matches it or a folder it is in; a later ``!pattern`` takes it back."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    ignored = False
    for pattern in _ignore_patterns():
        negated = pattern.startswith("!")
        regex = _pattern(pattern.removeprefix("!"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def test_the_build_context_leaves_out_caches_and_history() -> None:
    for path in (
        ".cache",
        ".cache/uv/bin/uv",
        ".git/HEAD",
        ".venv/bin/python",
        "runtime/src/conveyor_runtime/__pycache__/auth.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        ".mypy_cache/3.11/x.json",
        "services/orders/tests/unit/test_x.py",
        "tests/test_compose.py",
    ):
        assert dockerignored(path), path
    assert not dockerignored("services/orders/src/orders/app.py")
    assert not dockerignored("uv.lock")


def _mount_options(arguments: str) -> list[dict[str, str]]:
    return [
        dict(option.split("=", 1) for option in found.split(","))
        for found in re.findall(r"--mount=(\S+)", arguments)
    ]


@pytest.mark.parametrize("service", SETTINGS)
def test_each_image_installs_its_locked_dependencies_first_then_the_members_it_needs(
    service: str,
) -> None:
    members = workspace_members_needed(service)
    assert {"contracts", "runtime", f"services/{service}"} <= members  # the lock read right
    steps = _instructions(ROOT / "services" / service / "Dockerfile")
    syncs = [i for i, (op, args) in enumerate(steps) if op == "RUN" and "uv sync" in args]
    assert len(syncs) == 2, steps
    first, last = syncs
    dependencies, install = steps[first][1], steps[last][1]
    # The dependency layer: uv.lock and pyproject files only, so a source change keeps it.
    for words in (dependencies, install):
        assert {"--frozen", "--no-dev"} <= set(words.split())
        assert f"--package {service}" in words
    assert "--no-install-workspace" in dependencies.split()
    assert "--no-install-workspace" not in install.split()
    assert not [
        args for op, args in steps[:first] if op in ("COPY", "ADD") and "--from" not in args
    ]
    bound = {
        option["source"] for option in _mount_options(dependencies) if option.get("type") == "bind"
    }
    assert all(path == "uv.lock" or path.endswith("pyproject.toml") for path in bound), bound
    assert {"uv.lock", "pyproject.toml"} <= bound
    assert {str(PurePosixPath(p).parent) for p in bound} - {"."} == members
    # Then the members' sources, and the sync that installs them.
    copied = set()
    for op, args in steps[first + 1 : last]:
        assert op != "ADD"
        if op == "COPY":
            *sources, _ = args.split()
            copied |= set(sources)
    for member in members:
        assert {f"{member}/pyproject.toml", f"{member}/src"} <= copied, member
    assert {"pyproject.toml", "uv.lock"} <= copied
    assert not [op for op, _ in steps[last + 1 :] if op in ("COPY", "ADD")]
    for path in copied | bound:
        assert (ROOT / path).exists(), path
        assert not dockerignored(path), f"{path} is left out of the build context"
        for source in (ROOT / path).rglob("*.py") if (ROOT / path).is_dir() else []:
            relative = source.relative_to(ROOT).as_posix()
            assert not dockerignored(relative), relative
    assert ("USER", "10001") in steps
    assert steps[-1] == ("CMD", f'["python", "-m", "{service}"]')
