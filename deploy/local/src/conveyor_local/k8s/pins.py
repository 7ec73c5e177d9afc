"""The pinned versions of everything that renders and checks deploy/k8s, all from the Go module
proxy. Each is the newest the proxy serves that builds with this machine's Go (1.26)."""

from conveyor_local.k8s.toolchain import GoModule, GoTool

# v5.8.3 asks for Go 1.27.
KUSTOMIZE = GoTool("kustomize", "sigs.k8s.io/kustomize/kustomize/v5", "v5.8.2")

# Validates offline with the API server's own schema code (unknown fields, types, formats, the
# CEL rules of CRDs), given the schemas below; the 1.23-1.30 schemas it embeds are not used.
KUBECTL_VALIDATE = GoTool("kubectl-validate", "sigs.k8s.io/kubectl-validate", "v0.0.4")

# api/openapi-spec/v3: the OpenAPI documents of every built-in group-version of that release.
KUBERNETES = GoModule("k8s.io/kubernetes", "v1.36.3")

# example/prometheus-operator-crd: ServiceMonitor, PrometheusRule. The proxy serves only this
# version of the repository's root module (the API submodule has no CRD files).
PROMETHEUS_OPERATOR = GoModule("github.com/prometheus-operator/prometheus-operator", "v0.85.0")
PROMETHEUS_OPERATOR_CRDS = "example/prometheus-operator-crd"

# config/crd/bases: ScaledObject, TriggerAuthentication. v2.21.1 asks for Go 1.27.4.
KEDA = GoModule("github.com/kedacore/keda/v2", "v2.21.0")
KEDA_CRDS = "config/crd/bases"
