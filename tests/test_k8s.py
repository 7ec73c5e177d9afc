"""deploy/k8s, rendered by the pinned kustomize and checked offline by kubectl-validate against
the pinned Kubernetes release's schemas and the CRDs of prometheus-operator and KEDA
(``conveyor_local.k8s``): every object of every overlay is valid, the validator really rejects
broken ones, and what the manifests say matches the code they deploy (settings, ports, probes,
secrets layout, shutdown timeout, alert rules, the registry's partitions).

The first run builds the tools from the Go module proxy (minutes); a missing tool fails here."""

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.trace import TracerProvider
from pydantic_settings import BaseSettings

from conveyor_contracts.topics import SERVICE_GROUPS, TOPICS
from conveyor_local.k8s import generated
from conveyor_local.k8s.render import objects, overlays, render
from conveyor_local.k8s.validation import Verdict, validate
from conveyor_local.stack.settings import StackError
from conveyor_runtime.broker import build_broker
from conveyor_runtime.kafka_acl import ADMIN
from conveyor_runtime.kafka_secrets import write_secrets
from conveyor_runtime.kafka_topics import registry_topics
from conveyor_runtime.service import build_http_app, build_infrastructure
from conveyor_testkit import repository_root
from inventory.settings import InventorySettings
from orders.settings import OrdersSettings
from shipping.settings import ShippingSettings
from support.settings import SupportSettings

# kustomize and kubectl-validate are built before the tests (`make test` runs
# `python -m conveyor_local.k8s tools`: about 4 minutes cold on two cores), so the default
# deadline holds here; a bare cold `pytest` builds them in its first test and may run out of it.

ROOT = repository_root()
SETTINGS: dict[str, type[BaseSettings]] = {
    "orders": OrdersSettings,
    "inventory": InventorySettings,
    "shipping": ShippingSettings,
    "support": SupportSettings,
}
OVERLAYS = {path.name: path for path in overlays()}
Objects = list[dict[str, Any]]


def _checked(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except StackError as error:  # a tool that cannot be had fails the test, never skips it
        pytest.fail(f"the Kubernetes tooling is not available: {error}")


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return {name: _checked(render, path) for name, path in OVERLAYS.items()}


@pytest.fixture(scope="module", params=sorted(OVERLAYS))
def overlay(request: pytest.FixtureRequest, rendered: dict[str, str]) -> Objects:
    return objects(rendered[request.param])


def _one(found: Objects, kind: str, name: str) -> dict[str, Any]:
    matching = [o for o in found if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matching) == 1, f"{kind}/{name}: {len(matching)} found"
    return matching[0]


def _container(found: Objects, service: str) -> dict[str, Any]:
    containers = _one(found, "Deployment", service)["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == [service]
    container: dict[str, Any] = containers[0]
    return container


def _rejections(manifests: Objects) -> list[Verdict]:
    verdicts = _checked(validate, yaml.safe_dump_all(manifests, sort_keys=False))
    return [verdict for verdict in verdicts if verdict.problem is not None]


def test_there_is_a_dev_and_a_production_overlay() -> None:
    assert {"dev", "production"} <= set(OVERLAYS)


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_every_object_of_every_overlay_is_valid(rendered: dict[str, str], name: str) -> None:
    verdicts = _checked(validate, rendered[name])
    kinds = {verdict.kind for verdict in verdicts}
    assert {"Deployment", "Job", "ServiceMonitor", "PrometheusRule", "ScaledObject"} <= kinds
    assert [str(v) for v in verdicts if v.problem is not None] == []


def test_the_validator_rejects_a_deployment_with_a_wrong_field_type(overlay: Objects) -> None:
    broken = copy.deepcopy(_one(overlay, "Deployment", "orders"))
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8000"
    unknown = copy.deepcopy(_one(overlay, "Deployment", "orders"))
    unknown["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["path"] = "/healthz"
    valid = _one(overlay, "Deployment", "orders")  # the control: the same object, unbroken
    rejected = _rejections([valid, broken, unknown])
    assert len(rejected) == 2
    assert "containerPort" in str(rejected[0])
    assert "unknown field" in str(rejected[1])


def test_the_validator_checks_custom_resources_against_their_crds(overlay: Objects) -> None:
    scaled = copy.deepcopy(_one(overlay, "ScaledObject", "orders"))
    scaled["spec"]["maxReplicaCount"] = "twelve"
    monitor = copy.deepcopy(_one(overlay, "ServiceMonitor", "orders"))
    monitor["spec"]["endpoints"][0]["scrapeEvery"] = "30s"
    rule = copy.deepcopy(_one(overlay, "PrometheusRule", "conveyor-alerts"))
    rule["kind"] = "PrometheusRules"  # no such CRD: never passed unchecked
    valid = [_one(overlay, "ScaledObject", "orders"), _one(overlay, "ServiceMonitor", "orders")]
    rejected = _rejections([*valid, scaled, monitor, rule])
    assert [verdict.kind for verdict in rejected] == [
        "ScaledObject",
        "ServiceMonitor",
        rule["kind"],
    ]
    assert "maxReplicaCount" in str(rejected[0])


def test_no_overlay_carries_a_secret(overlay: Objects) -> None:
    # Secrets are created outside the repository (docs/scaling.md); only references are here.
    assert [o["metadata"]["name"] for o in overlay if o["kind"] == "Secret"] == []


def _environment(found: Objects, container: dict[str, Any]) -> dict[str, Any]:
    """Variable -> value (a string, or the ``valueFrom`` reference), envFrom ConfigMaps included."""
    variables: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        variables |= _one(found, "ConfigMap", source["configMapRef"]["name"])["data"]
    for variable in container.get("env", []):
        variables[variable["name"]] = variable.get("value", variable.get("valueFrom"))
    return variables


def _mounts(found: Objects, kind: str, name: str) -> dict[str, dict[str, Any]]:
    """Mount path -> the volume mounted there."""
    pod = _one(found, kind, name)["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    return {
        mount["mountPath"]: volumes[mount["name"]] for mount in pod["containers"][0]["volumeMounts"]
    }


@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_takes_only_its_own_settings_and_secrets(
    overlay: Objects, service: str, tmp_path: Path
) -> None:
    prefix = f"{service.upper()}_"
    env = _environment(overlay, _container(overlay, service))
    # Every variable is a setting of the service (a typo would be ignored silently).
    fields = SETTINGS[service].model_fields
    assert all(name.removeprefix(prefix).lower() in fields for name in env), sorted(env)
    assert all(name.startswith(prefix) for name in env)
    assert env[f"{prefix}KAFKA_USERNAME"] == service
    assert f"{prefix}KAFKA_PASSWORD" not in env  # a file, never a variable
    assert f"{prefix}TOPIC_PREFIX" not in env  # the ScaledObjects name the registry's topics
    assert env[f"{prefix}MONGO_URL"]["secretKeyRef"]["name"] == f"conveyor-mongo-{service}"
    # The password file is the one the deployment's secrets layout writes in the service's folder,
    # mounted from the service's own Secret, and nothing else of the layout is.
    mounts = _mounts(overlay, "Deployment", service)
    password = Path(env[f"{prefix}KAFKA_PASSWORD_FILE"])
    secret = mounts[str(password.parent)]["secret"]
    assert secret["secretName"] == f"conveyor-kafka-{service}"
    assert [item["path"] for item in secret["items"]] == [password.name]
    assert [v["secret"]["secretName"] for v in mounts.values() if "secret" in v] == [
        secret["secretName"]
    ]
    write_secrets(tmp_path)
    assert (tmp_path / service / password.name).is_file()
    jwks = Path(env[f"{prefix}JWKS_PATH"])
    assert mounts[str(jwks.parent)]["configMap"]["items"] == [{"key": jwks.name, "path": jwks.name}]


@pytest.mark.parametrize("service", SETTINGS)
def test_probes_and_port_are_the_services_own(overlay: Objects, service: str) -> None:
    container = _container(overlay, service)
    env = _environment(overlay, container)
    dockerfile = (ROOT / "services" / service / "Dockerfile").read_text().split()
    exposed = int(dockerfile[dockerfile.index("EXPOSE") + 1])
    assert container["ports"] == [{"name": "http", "containerPort": exposed}]
    assert int(env[f"{service.upper()}_HTTP_PORT"]) == exposed
    assert env[f"{service.upper()}_HTTP_HOST"] == "0.0.0.0"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert set(container["resources"]) == {"requests", "limits"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_the_probed_paths_are_the_runtimes_routes() -> None:
    app = build_http_app(build_infrastructure(OrdersSettings(otlp_endpoint=None)))
    assert {"/healthz", "/readyz", "/metrics"} <= set(app.openapi()["paths"])


def _pods(found: Objects) -> Iterator[tuple[str, dict[str, Any]]]:
    for o in found:
        if o["kind"] in ("Deployment", "Job"):
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"]


def test_every_pod_runs_as_the_images_non_root_user_without_privileges(overlay: Objects) -> None:
    dockerfile = (ROOT / "services" / "orders" / "Dockerfile").read_text().split()
    user = int(dockerfile[dockerfile.index("USER") + 1])
    pods = dict(_pods(overlay))
    assert len(pods) == 5
    for where, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] == user, where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert set(container["resources"]) == {"requests", "limits"}, where


def test_pods_get_longer_to_stop_than_the_broker_takes_to_drain(overlay: Objects) -> None:
    broker = build_broker("127.0.0.1:9092", "orders", TracerProvider())  # never connected
    graceful = broker.config.graceful_timeout
    assert graceful is not None
    for service in SETTINGS:
        pod = _one(overlay, "Deployment", service)["spec"]["template"]["spec"]
        pre_stop = pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pod["terminationGracePeriodSeconds"] > pre_stop + graceful


@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_has_a_disruption_budget_and_is_scraped(
    overlay: Objects, service: str
) -> None:
    labels = _one(overlay, "Deployment", service)["spec"]["template"]["metadata"]["labels"]
    budget = _one(overlay, "PodDisruptionBudget", service)["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert budget["maxUnavailable"] == 1
    service_object = _one(overlay, "Service", service)
    assert service_object["spec"]["selector"].items() <= labels.items()
    monitor = _one(overlay, "ServiceMonitor", service)["spec"]
    assert (
        monitor["selector"]["matchLabels"].items() <= service_object["metadata"]["labels"].items()
    )
    # alerts.yaml expects the job label to be the service's name.
    assert service_object["metadata"]["labels"][monitor["jobLabel"]] == service
    port_names = {port["name"] for port in service_object["spec"]["ports"]}
    assert [(e["port"], e["path"]) for e in monitor["endpoints"]] == [("http", "/metrics")]
    assert "http" in port_names


def test_the_prometheus_rule_carries_exactly_the_alert_rules(overlay: Objects) -> None:
    alerts = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yaml").read_text())
    assert _one(overlay, "PrometheusRule", "conveyor-alerts")["spec"]["groups"] == alerts["groups"]


def test_the_generated_manifests_are_current() -> None:
    stale = [str(path.relative_to(ROOT)) for path in generated.stale()]
    assert stale == [], "regenerate with: python -m conveyor_local.k8s generate"


@pytest.mark.parametrize("service", SETTINGS)
def test_scaling_is_capped_at_the_registrys_partitions(overlay: Objects, service: str) -> None:
    consumed = {spec.name: spec.partitions for spec in TOPICS if service in spec.consumers}
    scaled = _one(overlay, "ScaledObject", service)["spec"]
    assert scaled["maxReplicaCount"] == max(consumed.values())
    assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"]
    triggers = scaled["triggers"]
    assert sorted(t["metadata"]["topic"] for t in triggers) == sorted(consumed)
    env = _environment(overlay, _container(overlay, service))
    authentication = _one(overlay, "TriggerAuthentication", f"{service}-kafka")["spec"]
    for trigger in triggers:
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == SERVICE_GROUPS[service]
        assert trigger["metadata"]["bootstrapServersFromEnv"] in env
        # Never past the topic's partitions: KEDA caps each trigger there unless told otherwise.
        assert trigger["metadata"].get("allowIdleConsumers", "false") == "false"
        assert trigger["authenticationRef"]["name"] == f"{service}-kafka"
    # KEDA logs in as the service's own principal.
    assert [e["name"] for e in authentication["env"]] == [f"{service.upper()}_KAFKA_USERNAME"]
    assert authentication["secretTargetRef"][0]["name"] == f"conveyor-kafka-{service}"


def test_the_provisioning_job_is_compose_s_topics_service_as_the_admin(
    overlay: Objects, tmp_path: Path
) -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]
    command = _one(overlay, "Job", "conveyor-kafka-provision")["spec"]["template"]["spec"][
        "containers"
    ][0]["command"]
    topics = compose["topics"]["command"]
    assert command[:3] == topics[:3] == ["python", "-m", "conveyor_runtime.kafka_admin"]
    credentials = Path(command[command.index("--credentials") + 1])
    assert credentials == Path(topics[topics.index("--credentials") + 1])
    secret = _mounts(overlay, "Job", "conveyor-kafka-provision")[str(credentials.parent)]["secret"]
    assert secret["secretName"] == "conveyor-kafka-admin"
    assert [item["path"] for item in secret["items"]] == [credentials.name]
    write_secrets(tmp_path)
    assert (tmp_path / ADMIN / credentials.name).is_file()
    # What it creates: the registry's topics, 3 copies with 2 in sync.
    copies = {(t.replication_factor, t.min_insync_replicas) for t in registry_topics().values()}
    assert copies == {(3, 2)}
