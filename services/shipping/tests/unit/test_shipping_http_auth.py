"""The shipping read API takes operators' bearer tokens only, and answers errors as problems."""

import httpx

from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers
from shipping.adapters.memory import MemoryFulfilments
from shipping.entrypoints.http import shipments_router
from shipping.settings import ShippingSettings

PATHS = ("/shipments/shp_unknown", "/orders/ord_unknown/shipments")


def api(issuer: Issuer) -> httpx.AsyncClient:
    settings = ShippingSettings(jwks_path=issuer.jwks_path)
    app = build_api(settings, [shipments_router(MemoryFulfilments())])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s")


async def test_an_operator_passes_and_hears_404_problems_for_what_is_not_there(
    token_issuer: Issuer,
) -> None:
    client = api(token_issuer)
    for kid in token_issuer.key_ids():
        for path in PATHS:
            headers = token_issuer.bearer("operator", "opr_1", kid=kid)
            response = await client.get(path, headers=headers)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == PROBLEM_JSON
            assert response.json()["title"] == "Not Found"


async def test_buyers_and_agents_get_403_and_bad_tokens_401(token_issuer: Issuer) -> None:
    client = api(token_issuer)
    for path in PATHS:
        for role in ("buyer", "agent"):
            headers = token_issuer.bearer(role, "byr_7KQ2M9")  # type: ignore[arg-type]
            assert (await client.get(path, headers=headers)).status_code == 403, (role, path)
        for name, headers in refused_bearers(token_issuer).items():
            response = await client.get(path, headers=headers)
            assert response.status_code == 401, (name, path)
            assert response.headers["content-type"] == PROBLEM_JSON
