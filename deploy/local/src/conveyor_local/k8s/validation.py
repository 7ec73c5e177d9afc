"""Checking manifests offline against the schemas a cluster would use, with kubectl-validate:
the built-in types against the pinned Kubernetes release's OpenAPI documents, custom resources
against their CRDs (``schemas``). No cluster is asked: the validator would try the current
kubeconfig's before its own schemas, so it is given none."""

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from conveyor_local.k8s.pins import KUBECTL_VALIDATE
from conveyor_local.k8s.schemas import custom_resource_definitions, kubernetes_schemas
from conveyor_local.stack.settings import StackError

_INVALID = 1  # kubectl-validate's exit code when a document is rejected


@dataclass(frozen=True)
class Verdict:
    """What the validator said about one object; ``problem`` is None when it is valid."""

    kind: str
    name: str
    problem: str | None

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}: {self.problem or 'valid'}"


def validate(manifests: str) -> list[Verdict]:
    """A verdict for every object of a YAML stream, in order.

    Raises:
        StackError: The validator could not run, or did not judge every object.
    """
    documents = [document for document in yaml.safe_load_all(manifests) if document is not None]
    with tempfile.TemporaryDirectory(prefix="conveyor-k8s-") as folder:
        stream = Path(folder) / "manifests.yaml"
        stream.write_text(manifests)  # as given: what `kubectl apply` would read
        checked = subprocess.run(
            [
                str(KUBECTL_VALIDATE.ensure()),
                str(stream),
                "--local-schemas",
                str(kubernetes_schemas()),
                "--local-crds",
                str(custom_resource_definitions()),
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "KUBECONFIG": os.devnull},
        )
    if checked.returncode not in (0, _INVALID):
        raise StackError(f"kubectl-validate failed to run:\n{checked.stderr}{checked.stdout}")
    statuses = json.loads(checked.stdout)[str(stream)]
    if len(statuses) != len(documents):
        raise StackError(
            f"kubectl-validate judged {len(statuses)} of {len(documents)} objects:\n"
            f"{checked.stdout}"
        )
    return [
        Verdict(
            kind=document.get("kind", "?"),
            name=document.get("metadata", {}).get("name", "?"),
            problem=None if status["status"] == "Success" else status["message"],
        )
        for document, status in zip(documents, statuses, strict=True)
    ]
