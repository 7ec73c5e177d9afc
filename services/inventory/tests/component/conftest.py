"""The inventory service booted whole, in memory: its real app on FastStream's
``TestKafkaBroker`` (Kafka in the process) with its stock and reservations in dicts, driven
through its topics (``inventory_component``). Every message inventory publishes is parsed with
its topic's contract when the test ends. No server is used, and no connection is even attempted.
"""

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from inventory_component import NOWHERE, InventoryComponent, assert_keeps_its_contract, observe

from conveyor_runtime.memory import build_memory_infrastructure
from conveyor_runtime.tokens import Issuer
from inventory.app import InventoryDeps, create_app
from inventory.settings import InventorySettings

# Fixtures that reach real servers: a component test that asks for one is refused at setup.
SERVER_FIXTURES = frozenset(
    {"servers", "kafka", "kafka_login", "namespace", "create_topics", "secured_kafka"}
)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture is set up, so a server fixture never starts the stack here."""
    used = SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
    if used:
        pytest.fail(f"component tests run without servers; {item.name} asks for {sorted(used)}")


@pytest.fixture(autouse=True)
def no_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Refuse, and remember, every name lookup and outgoing connection during the test."""
    attempts: list[object] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise ConnectionRefusedError("component tests make no connections")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert not attempts, f"the component test tried to connect: {attempts}"


@pytest.fixture
def inventory_settings(token_issuer: Issuer) -> InventorySettings:
    """Inventory with a topic prefix (so the test sees it applied), its default policy
    (backorders, the default warehouses) and servers nowhere."""
    return InventorySettings(
        topic_prefix="component-",
        kafka_bootstrap_servers=f"{NOWHERE}:9092",
        mongo_url=f"mongodb://{NOWHERE}:27017/",
        otlp_endpoint=None,
        jwks_path=token_issuer.jwks_path,
    )


@pytest.fixture
async def inventory(inventory_settings: InventorySettings) -> AsyncIterator[InventoryComponent]:
    """The inventory app started on ``TestKafkaBroker`` with stock and reservations in memory;
    at the end, every message it published is checked against its topic's contract."""
    deps = InventoryDeps.in_memory(build_memory_infrastructure(inventory_settings))
    app = create_app(inventory_settings, deps)
    mesh = KafkaBroker(f"{NOWHERE}:9092")
    component = InventoryComponent(inventory_settings, app, deps, mesh)
    observe(component)
    async with TestKafkaBroker(deps.infra.broker, mesh), app.router.lifespan_context(app):
        yield component
    for message in component.published:
        assert_keeps_its_contract(component, message)
