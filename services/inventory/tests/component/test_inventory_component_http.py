"""The stock API of the running app, over ASGI, with tokens signed by the session's issuer."""

from collections.abc import AsyncIterator

import httpx
import pytest
from inventory_component import SELLER, SKU, WAREHOUSE, InventoryComponent

from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.tokens import Issuer


@pytest.fixture
async def api(inventory: InventoryComponent) -> AsyncIterator[httpx.AsyncClient]:
    async with inventory.http_api() as client:
        yield client


async def test_an_operator_reads_the_stock_of_a_sku_as_the_topics_moved_it(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    await inventory.receive(4, warehouse_id="WH-US-CA1")
    await inventory.reserve(2)  # received at WH-US-NJ1, the first US warehouse, and held there
    operator = token_issuer.bearer("operator", "opr_1")

    found = await api.get(f"/stock/{SKU}", headers=operator)
    missing = await api.get("/stock/HAT-RED-L", headers=operator)

    assert found.status_code == 200
    assert found.json() == {
        "sku": SKU,
        "warehouses": [
            {"warehouse_id": "WH-US-CA1", "on_hand": 4, "reserved": 0, "available": 4}
            | {"seller_id": SELLER},
            {"warehouse_id": WAREHOUSE, "on_hand": 2, "reserved": 2, "available": 0}
            | {"seller_id": SELLER},
        ],
    }
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON


async def test_only_operators_read_stock(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    await inventory.receive(1)
    path = f"/stock/{SKU}"

    as_buyer = await api.get(path, headers=token_issuer.bearer("buyer", "byr_1"))
    as_agent = await api.get(path, headers=token_issuer.bearer("agent", "agt_1"))
    without_token = await api.get(path)

    assert (as_buyer.status_code, as_agent.status_code, without_token.status_code) == (
        403,
        403,
        401,
    )


async def test_probes_stay_open_and_readiness_checks_the_broker_alone(
    inventory: InventoryComponent, api: httpx.AsyncClient
) -> None:
    await inventory.reserve()
    await inventory.settled()

    live, ready, metrics = [await api.get(path) for path in ("/healthz", "/readyz", "/metrics")]

    assert (live.status_code, ready.status_code, metrics.status_code) == (200, 200, 200)
    assert ready.json() == {"kafka": "ok"}  # stock and reservations in memory: no database
    assert 'conveyor_stock_reservations_total{outcome="reserved"} 1.0' in metrics.text
