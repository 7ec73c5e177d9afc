"""Composition root: the only place the support service is wired together."""

from fastapi import FastAPI

from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from support.settings import SupportSettings


def create_app(settings: SupportSettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts."""
    infra = infra or build_infrastructure(settings)
    return build_http_app(infra)
