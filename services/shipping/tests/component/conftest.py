"""The shipping service booted whole, in memory: its real app on FastStream's ``TestKafkaBroker``
(Kafka in the process) with its fulfilments and carriers' capacity in dicts, driven through its
topics (``shipping_component``). Every message shipping publishes is parsed with its topic's
contract when the test ends. No server is used, and no connection is even attempted.
"""

from collections.abc import AsyncIterator

import pytest
from shipping_component import ShippingComponent

from conveyor_runtime.memory import build_memory_infrastructure
from conveyor_runtime.tokens import Issuer
from conveyor_testkit.component import no_connections as no_connections
from conveyor_testkit.component import refuse_server_fixtures, settings_nowhere
from shipping.app import ShippingDeps, create_app
from shipping.settings import ShippingSettings

pytest_runtest_setup = refuse_server_fixtures


@pytest.fixture
def shipping_settings(token_issuer: Issuer) -> ShippingSettings:
    """Shipping with a topic prefix (so the test sees it applied), and servers nowhere."""
    return ShippingSettings(**settings_nowhere(token_issuer.jwks_path))


@pytest.fixture
async def shipping(shipping_settings: ShippingSettings) -> AsyncIterator[ShippingComponent]:
    """The shipping app started on ``TestKafkaBroker`` with in-memory fulfilments; at the end,
    every message it published is checked against its topic's contract."""
    deps = ShippingDeps.in_memory(build_memory_infrastructure(shipping_settings))
    app = create_app(shipping_settings, deps)
    component = ShippingComponent(settings=shipping_settings, app=app, deps=deps)
    async with component.running():
        yield component
