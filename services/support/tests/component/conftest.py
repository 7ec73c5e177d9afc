"""The support service booted whole, in memory: its real app on FastStream's ``TestKafkaBroker``
(Kafka in the process) with its timelines and cases in dicts, driven through its topics and its
HTTP API (``support_component``). Every message support publishes is parsed with its topic's
contract when the test ends. No server is used, and no connection is even attempted.
"""

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from support_component import NOWHERE, SupportComponent, assert_keeps_its_contract, observe

from conveyor_runtime.memory import build_memory_infrastructure
from conveyor_runtime.tokens import Issuer
from support.app import SupportDeps, create_app
from support.settings import SupportSettings

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
def support_settings(token_issuer: Issuer) -> SupportSettings:
    """Support with a topic prefix (so the test sees it applied), and servers nowhere."""
    return SupportSettings(
        topic_prefix="component-",
        kafka_bootstrap_servers=f"{NOWHERE}:9092",
        mongo_url=f"mongodb://{NOWHERE}:27017/",
        otlp_endpoint=None,
        jwks_path=token_issuer.jwks_path,
    )


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """Every span support ends, once its provider is flushed."""
    return InMemorySpanExporter()


@pytest.fixture
async def support(
    support_settings: SupportSettings, spans: InMemorySpanExporter
) -> AsyncIterator[SupportComponent]:
    """The support app started on ``TestKafkaBroker`` with timelines and cases in memory; at
    the end, every message it published is checked against its topic's contract."""
    infra = build_memory_infrastructure(support_settings, span_exporter=spans)
    deps = SupportDeps.in_memory(infra)
    app = create_app(support_settings, deps)
    mesh = KafkaBroker(f"{NOWHERE}:9092")
    component = SupportComponent(support_settings, app, deps, mesh)
    observe(component)
    async with TestKafkaBroker(deps.infra.broker, mesh), app.router.lifespan_context(app):
        yield component
    for message in component.published:
        assert_keeps_its_contract(component, message)


@pytest.fixture
async def api(support: SupportComponent) -> AsyncIterator[httpx.AsyncClient]:
    """The running app's HTTP API, over ASGI."""
    transport = httpx.ASGITransport(app=support.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://support") as client:
        yield client
