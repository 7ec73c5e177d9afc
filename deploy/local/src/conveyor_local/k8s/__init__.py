"""deploy/k8s rendered and checked offline: ``python -m conveyor_local.k8s check | generate |
render OVERLAY`` (``make kubernetes`` checks).

- ``pins``: the pinned kustomize, kubectl-validate, Kubernetes release and CRD modules;
- ``toolchain``: building those programs and copying those files once, from the Go module proxy;
- ``schemas``: the built-in types' OpenAPI documents and the CRDs, laid out for the validator;
- ``render``: the overlays, built by kustomize;
- ``validation``: a verdict per rendered object;
- ``generated``: the manifests derived from alerts.yaml and the topic registry.
"""
