"""Composition root: the only place the shipping service is wired together."""

from fastapi import FastAPI

from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from shipping.settings import ShippingSettings


def create_app(settings: ShippingSettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts."""
    infra = infra or build_infrastructure(settings)
    return build_http_app(infra)
