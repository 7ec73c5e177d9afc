"""The seller routes: a seller reads its own scorecard and orders at risk, another seller's is a
404 as if it did not exist, operators read any, buyers and agents 403, no token 401."""

import httpx
from orders_testkit import event

from conveyor_contracts.checkout import OrderPlaced
from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers
from orders.adapters.memory_orders import MemoryOrders
from orders.entrypoints.sellers_http import sellers_router
from orders.settings import OrdersSettings
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed

SELLER = "sel_01J9ZA4S7K2L"  # the contracts' example lines' seller
PATHS = (f"/sellers/{SELLER}/scorecard", f"/sellers/{SELLER}/orders-at-risk?within_hours=200")


async def api(issuer: Issuer) -> tuple[httpx.AsyncClient, OrderPlaced]:
    orders = MemoryOrders()
    placed = event(OrderPlaced, "ord_sh_1")
    await accept_order_on_order_placed(placed, orders)
    settings = OrdersSettings(jwks_path=issuer.jwks_path)
    app = build_api(settings, [sellers_router(orders, settings.promise_policy().calendar)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://o"), placed


async def test_a_seller_reads_its_own_scorecard_and_orders_at_risk(token_issuer: Issuer) -> None:
    client, placed = await api(token_issuer)
    seller = token_issuer.bearer("seller", SELLER)

    card = await client.get(PATHS[0], headers=seller)
    risk = await client.get(PATHS[1], headers=seller)

    assert card.status_code == 200
    week, month = card.json()["windows"]
    assert (week["days"], month["days"], week["orders"], month["orders"]) == (7, 30, 1, 1)
    assert week["late_dispatch"] == {"numerator": 0, "denominator": 0, "rate": None}
    assert (week["late_dispatch_target"], week["within_late_dispatch_target"]) == (0.04, None)
    assert week["seller_fault_cancellation"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    assert risk.status_code == 200
    (item,) = risk.json()["orders"]
    assert set(item) == {"order_id", "dispatch_by", "status", "hours_left"}  # no buyer data
    assert (item["order_id"], item["status"]) == (placed.order_id, "accepted")
    assert 0 < item["hours_left"] <= 200


async def test_another_sellers_figures_are_a_404_like_nothing_at_all(token_issuer: Issuer) -> None:
    client, _ = await api(token_issuer)
    other = token_issuer.bearer("seller", "sel_someone_else")
    for path in PATHS:
        response = await client.get(path, headers=other)
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "not found",
        }


async def test_an_operator_reads_any_sellers_figures(token_issuer: Issuer) -> None:
    client, _ = await api(token_issuer)
    operator = token_issuer.bearer("operator", "opr_1")
    for path in PATHS:
        assert (await client.get(path, headers=operator)).status_code == 200
    unknown = await client.get("/sellers/sel_nobody/scorecard", headers=operator)
    assert [w["orders"] for w in unknown.json()["windows"]] == [0, 0]


async def test_buyers_and_agents_get_403_and_no_token_401(token_issuer: Issuer) -> None:
    client, placed = await api(token_issuer)
    for path in PATHS:
        for caller in (
            token_issuer.bearer("buyer", placed.buyer_id),
            token_issuer.bearer("agent", "agt_1"),
        ):
            response = await client.get(path, headers=caller)
            assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM_JSON)
        for name, headers in refused_bearers(token_issuer).items():
            assert (await client.get(path, headers=headers)).status_code == 401, name


async def test_within_hours_must_be_a_sensible_number(token_issuer: Issuer) -> None:
    client, _ = await api(token_issuer)
    seller = token_issuer.bearer("seller", SELLER)
    for bad in ("-1", "abc", "100000"):
        path = f"/sellers/{SELLER}/orders-at-risk?within_hours={bad}"
        response = await client.get(path, headers=seller)
        assert response.status_code == 422
        assert response.json()["invalid-params"][0]["name"] == "query.within_hours"
