"""The orders service booted whole, in memory: its real app on FastStream's ``TestKafkaBroker``
(Kafka in the process) with its orders in a dict, driven through its topics
(``orders_component``). Every message orders publishes is parsed with its topic's contract
when the test ends. No server is used, and no connection is even attempted.
"""

from collections.abc import AsyncIterator

import pytest
from orders_component import OrdersComponent

from conveyor_runtime.memory import build_memory_infrastructure
from conveyor_runtime.tokens import Issuer
from conveyor_testkit.component import no_connections as no_connections
from conveyor_testkit.component import refuse_server_fixtures, settings_nowhere
from orders.app import OrdersDeps, create_app
from orders.settings import OrdersSettings

pytest_runtest_setup = refuse_server_fixtures


@pytest.fixture
def orders_settings(token_issuer: Issuer) -> OrdersSettings:
    """Orders with a topic prefix (so the test sees it applied), and servers nowhere."""
    return OrdersSettings(**settings_nowhere(token_issuer.jwks_path))


@pytest.fixture
async def orders(orders_settings: OrdersSettings) -> AsyncIterator[OrdersComponent]:
    """The orders app started on ``TestKafkaBroker`` with in-memory orders; at the end, every
    message it published is checked against its topic's contract."""
    deps = OrdersDeps.in_memory(build_memory_infrastructure(orders_settings))
    app = create_app(orders_settings, deps)
    component = OrdersComponent(settings=orders_settings, app=app, deps=deps)
    async with component.running():
        yield component
