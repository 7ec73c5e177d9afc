"""The stock API takes operators' bearer tokens only, and answers errors as problems."""

import httpx

from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers
from inventory.domain.stock import Shelf, StockLevel
from inventory.entrypoints.http import stock_router
from inventory.settings import InventorySettings


class OneSku:
    """A stock store holding one SKU in one warehouse: all the read API asks of a store."""

    async def shelves(self, sku: str) -> dict[str, Shelf]:
        level = StockLevel(on_hand=5, reserved=2)
        return {"WH-US-NJ1": Shelf(level)} if sku == "TEE-BLK-M" else {}


def api(issuer: Issuer) -> httpx.AsyncClient:
    settings = InventorySettings(jwks_path=issuer.jwks_path)
    app = build_api(settings, [stock_router(OneSku())])  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i")


async def test_an_operator_reads_stock_with_either_key_of_the_set(token_issuer: Issuer) -> None:
    client = api(token_issuer)
    for kid in token_issuer.key_ids():
        response = await client.get(
            "/stock/TEE-BLK-M", headers=token_issuer.bearer("operator", "opr_1", kid=kid)
        )
        assert response.status_code == 200
        assert response.json()["warehouses"][0]["available"] == 3


async def test_buyers_and_agents_get_403_and_bad_tokens_401(token_issuer: Issuer) -> None:
    client = api(token_issuer)
    for role in ("buyer", "agent"):
        response = await client.get("/stock/TEE-BLK-M", headers=token_issuer.bearer(role, "x"))  # type: ignore[arg-type]
        assert response.status_code == 403, role
    for name, headers in refused_bearers(token_issuer).items():
        response = await client.get("/stock/TEE-BLK-M", headers=headers)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == PROBLEM_JSON, name


async def test_an_unknown_sku_is_a_404_problem(token_issuer: Issuer) -> None:
    response = await api(token_issuer).get(
        "/stock/HAT-RED-L", headers=token_issuer.bearer("operator", "opr_1")
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "unknown SKU HAT-RED-L"
