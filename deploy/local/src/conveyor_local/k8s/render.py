"""deploy/k8s's overlays, rendered by the pinned kustomize as ``kubectl apply -k`` would."""

import subprocess
from pathlib import Path
from typing import Any

import yaml

from conveyor_local.k8s.pins import KUSTOMIZE
from conveyor_local.stack.settings import ROOT, StackError

K8S_DIR = ROOT / "deploy" / "k8s"


def overlays() -> list[Path]:
    """Every overlay of deploy/k8s (each a folder with a kustomization.yaml)."""
    return sorted(path.parent for path in (K8S_DIR / "overlays").glob("*/kustomization.yaml"))


def render(kustomization: Path) -> str:
    """The manifests a kustomization folder renders to: one YAML stream."""
    built = subprocess.run(
        [str(KUSTOMIZE.ensure()), "build", str(kustomization)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        raise StackError(f"kustomize build {kustomization} failed:\n{built.stderr}")
    return built.stdout


def objects(manifests: str) -> list[dict[str, Any]]:
    """The objects of a YAML stream, in order."""
    return [document for document in yaml.safe_load_all(manifests) if document is not None]
