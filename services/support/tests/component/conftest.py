"""The support service booted whole, in memory: its real app on FastStream's ``TestKafkaBroker``
(Kafka in the process) with its timelines and cases in dicts, driven through its topics and its
HTTP API (``support_component``). Every message support publishes is parsed with its topic's
contract when the test ends. No server is used, and no connection is even attempted.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from support_component import SupportComponent

from conveyor_runtime.memory import build_memory_infrastructure
from conveyor_runtime.tokens import Issuer
from conveyor_testkit.component import no_connections as no_connections
from conveyor_testkit.component import refuse_server_fixtures, settings_nowhere
from support.app import SupportDeps, create_app
from support.settings import SupportSettings

pytest_runtest_setup = refuse_server_fixtures


@pytest.fixture
def support_settings(token_issuer: Issuer) -> SupportSettings:
    """Support with a topic prefix (so the test sees it applied), and servers nowhere."""
    return SupportSettings(**settings_nowhere(token_issuer.jwks_path))


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
    component = SupportComponent(settings=support_settings, app=app, deps=deps)
    async with component.running():
        yield component


@pytest.fixture
async def api(support: SupportComponent) -> AsyncIterator[httpx.AsyncClient]:
    """The running app's HTTP API, over ASGI."""
    async with support.http_api() as client:
        yield client
