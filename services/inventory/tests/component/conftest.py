"""The inventory service booted whole, in memory: its real app on FastStream's
``TestKafkaBroker`` (Kafka in the process) with its stock and reservations in dicts, driven
through its topics (``inventory_component``). Every message inventory publishes is parsed with
its topic's contract when the test ends. No server is used, and no connection is even attempted.
"""

from collections.abc import AsyncIterator

import pytest
from inventory_component import InventoryComponent

from conveyor_runtime.memory import build_memory_infrastructure
from conveyor_runtime.tokens import Issuer
from conveyor_testkit.component import no_connections as no_connections
from conveyor_testkit.component import refuse_server_fixtures, settings_nowhere
from inventory.app import InventoryDeps, create_app
from inventory.settings import InventorySettings

pytest_runtest_setup = refuse_server_fixtures


@pytest.fixture
def inventory_settings(token_issuer: Issuer) -> InventorySettings:
    """Inventory with a topic prefix (so the test sees it applied), its default policy
    (backorders, the default warehouses) and servers nowhere."""
    return InventorySettings(**settings_nowhere(token_issuer.jwks_path))


@pytest.fixture
async def inventory(inventory_settings: InventorySettings) -> AsyncIterator[InventoryComponent]:
    """The inventory app started on ``TestKafkaBroker`` with stock and reservations in memory;
    at the end, every message it published is checked against its topic's contract."""
    deps = InventoryDeps.in_memory(build_memory_infrastructure(inventory_settings))
    app = create_app(inventory_settings, deps)
    component = InventoryComponent(settings=inventory_settings, app=app, deps=deps)
    async with component.running():
        yield component
