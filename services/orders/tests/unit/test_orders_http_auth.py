"""The orders read API takes operators' bearer tokens only, and answers errors as problems."""

import uuid

import httpx
from orders_testkit import event

from conveyor_contracts.checkout import OrderPlaced
from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers
from orders.adapters.memory_orders import MemoryOrders
from orders.app import create_app
from orders.entrypoints.http import orders_router
from orders.settings import OrdersSettings
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed


async def api(issuer: Issuer) -> tuple[httpx.AsyncClient, OrderPlaced]:
    orders = MemoryOrders()
    placed = event(OrderPlaced, f"ord_{uuid.uuid4().hex[:12]}")
    await accept_order_on_order_placed(placed, orders)
    settings = OrdersSettings(jwks_path=issuer.jwks_path)
    app = build_api(settings, [orders_router(orders, settings.stuck_allowances())])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://o"), placed


async def test_an_operator_reads_orders_and_stuck_orders(token_issuer: Issuer) -> None:
    client, placed = await api(token_issuer)
    operator = token_issuer.bearer("operator", "opr_1")
    order = await client.get(f"/orders/{placed.order_id}", headers=operator)
    assert (order.status_code, order.json()["status"]) == (200, "accepted")
    assert (await client.get("/stuck-orders", headers=operator)).status_code == 200
    older = token_issuer.key_ids()[0]  # rotation: the previous key still verifies
    stuck = await client.get(
        "/stuck-orders", headers=token_issuer.bearer("operator", "o", kid=older)
    )
    assert stuck.status_code == 200


async def test_buyers_and_agents_get_403_even_on_the_buyers_own_order(token_issuer: Issuer) -> None:
    client, placed = await api(token_issuer)
    for caller in (
        token_issuer.bearer("buyer", placed.buyer_id),
        token_issuer.bearer("agent", "a"),
    ):
        response = await client.get(f"/orders/{placed.order_id}", headers=caller)
        assert response.status_code == 403
        assert response.headers["content-type"] == PROBLEM_JSON


async def test_missing_expired_forged_and_foreign_tokens_get_401(token_issuer: Issuer) -> None:
    client, placed = await api(token_issuer)
    for name, headers in refused_bearers(token_issuer).items():
        for path in (f"/orders/{placed.order_id}", "/stuck-orders"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 401, (name, path)
            assert response.json()["status"] == 401


async def test_an_unknown_order_is_a_404_problem(token_issuer: Issuer) -> None:
    client, _ = await api(token_issuer)
    response = await client.get("/orders/ord_unknown", headers=token_issuer.bearer("operator", "o"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no order 'ord_unknown'",
    }


async def test_liveness_stays_open_for_probes(token_issuer: Issuer) -> None:
    app = create_app(OrdersSettings(jwks_path=token_issuer.jwks_path))  # built, never started
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://o") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/stuck-orders")).status_code == 401
