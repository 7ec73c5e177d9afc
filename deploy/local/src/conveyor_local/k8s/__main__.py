"""``python -m conveyor_local.k8s check``: every generated manifest current, every overlay
rendered and every object valid (exit 1 otherwise); ``generate``: rewrite the stale generated
manifests; ``render OVERLAY``: print an overlay's manifests; ``tools``: build and fetch what the
others need (minutes the first time; ``make test`` runs it before the tests, whose deadlines
are for checking, not for compiling)."""

import argparse
import sys

from conveyor_local.k8s import generated
from conveyor_local.k8s.pins import KUBECTL_VALIDATE, KUSTOMIZE
from conveyor_local.k8s.render import K8S_DIR, overlays, render
from conveyor_local.k8s.schemas import custom_resource_definitions, kubernetes_schemas
from conveyor_local.k8s.validation import validate
from conveyor_local.stack.settings import ROOT, StackError


def check() -> bool:
    """Report on every overlay; whether all is well."""
    healthy = True
    for path in generated.stale():
        healthy = False
        sys.stdout.write(
            f"stale: {path.relative_to(ROOT)} (python -m conveyor_local.k8s generate)\n"
        )
    for overlay in overlays():
        verdicts = validate(render(overlay))
        rejected = [verdict for verdict in verdicts if verdict.problem is not None]
        healthy = healthy and not rejected
        sys.stdout.write(
            f"{overlay.relative_to(ROOT)}: {len(verdicts)} objects, {len(rejected)} rejected\n"
        )
        for verdict in rejected:
            sys.stdout.write(f"  {verdict}\n")
    return healthy


def main() -> None:
    """Check, regenerate or render deploy/k8s."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="generated files current, every overlay valid")
    commands.add_parser("generate", help="rewrite the generated manifests that are stale")
    commands.add_parser("tools", help="build kustomize and kubectl-validate, fetch the schemas")
    rendering = commands.add_parser("render", help="print an overlay's manifests")
    rendering.add_argument("overlay", help="a folder name under deploy/k8s/overlays")
    arguments = parser.parse_args()
    try:
        if arguments.command == "check":
            sys.exit(0 if check() else 1)
        elif arguments.command == "tools":
            for ready in (KUSTOMIZE.ensure(), KUBECTL_VALIDATE.ensure()):
                sys.stdout.write(f"{ready.relative_to(ROOT)}\n")
            for ready in (kubernetes_schemas(), custom_resource_definitions()):
                sys.stdout.write(f"{ready.relative_to(ROOT)}\n")
        elif arguments.command == "generate":
            for path in generated.write():
                sys.stdout.write(f"wrote {path.relative_to(ROOT)}\n")
        else:
            sys.stdout.write(render(K8S_DIR / "overlays" / arguments.overlay))
    except StackError as error:
        sys.exit(f"conveyor_local.k8s: {error}")


if __name__ == "__main__":
    main()
