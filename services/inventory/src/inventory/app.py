"""Composition root: the only place the inventory service is wired together."""

from fastapi import FastAPI

from conveyor_runtime.service import Infrastructure, build_http_app, build_infrastructure
from inventory.settings import InventorySettings


def create_app(settings: InventorySettings, infra: Infrastructure | None = None) -> FastAPI:
    """Build the service without connecting; connections open when the app starts."""
    infra = infra or build_infrastructure(settings)
    return build_http_app(infra)
