"""The schemas the validator checks against, laid out once in .cache/k8s as it reads them.

- ``kubernetes_schemas``: Kubernetes' OpenAPI v3 documents (``api__v1_openapi.json``,
  ``apis__apps__v1_openapi.json``...) renamed to kubectl-validate's ``api/v1.json`` and
  ``apis/<group>/<version>.json``; the per-group index documents are left out, since the
  validator would take ``apis/<group>.json`` for a group-version of its own.
- ``custom_resource_definitions``: the CRD files of prometheus-operator and KEDA, as they ship.
"""

import shutil
from pathlib import Path

from conveyor_local.k8s.pins import (
    KEDA,
    KEDA_CRDS,
    KUBERNETES,
    PROMETHEUS_OPERATOR,
    PROMETHEUS_OPERATOR_CRDS,
)
from conveyor_local.k8s.toolchain import prepared
from conveyor_local.stack.settings import StackError

_OPENAPI = "api/openapi-spec/v3"
_SUFFIX = "_openapi.json"


def kubernetes_schemas() -> Path:
    """The built-in types' schemas of the pinned Kubernetes release."""
    return prepared(f"kubernetes-{KUBERNETES.version}", _copy_openapi)


def custom_resource_definitions() -> Path:
    """Every CRD of the pinned prometheus-operator and KEDA, in one folder."""
    name = f"crds-prometheus-operator-{PROMETHEUS_OPERATOR.version}-keda-{KEDA.version}"
    return prepared(name, _copy_crds)


def _copy_openapi(into: Path) -> None:
    source = KUBERNETES.directory() / _OPENAPI
    copied = 0
    for document in sorted(source.glob(f"*{_SUFFIX}")):
        parts = document.name.removesuffix(_SUFFIX).split("__")
        core = parts[0] == "api" and len(parts) == 2  # api__v1
        grouped = parts[0] == "apis" and len(parts) == 3  # apis__apps__v1
        if core or grouped:
            target = into.joinpath(*parts).with_suffix(".json")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(document, target)
            copied += 1
    if not (into / "apis" / "apps" / "v1.json").is_file():
        raise StackError(f"{source} has no apps/v1 document ({copied} copied): layout changed?")


def _copy_crds(into: Path) -> None:
    for module, folder in ((PROMETHEUS_OPERATOR, PROMETHEUS_OPERATOR_CRDS), (KEDA, KEDA_CRDS)):
        files = sorted((module.directory() / folder).glob("*.yaml"))
        if not files:
            raise StackError(f"{module.path}@{module.version} has no CRD files in {folder}")
        for crd in files:
            shutil.copyfile(crd, into / crd.name)
