"""The orders API of the running app, over ASGI, with tokens signed by the session's issuer."""

from collections.abc import AsyncIterator

import httpx
import pytest
from orders_component import OrdersComponent, event, new_order_id

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, ORDER_STATUS
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import wait_for
from orders.settings import OrdersSettings

STUCK_AFTER = 0.05  # seconds an accepted order may wait here before it counts as stuck


@pytest.fixture
def orders_settings(orders_settings: OrdersSettings) -> OrdersSettings:
    return orders_settings.model_copy(update={"stuck_after_seconds": {"accepted": STUCK_AFTER}})


@pytest.fixture
async def api(orders: OrdersComponent) -> AsyncIterator[httpx.AsyncClient]:
    async with orders.http_api() as client:
        yield client


async def test_an_operator_reads_an_order_as_the_topics_moved_it(
    orders: OrdersComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    placed = await orders.place()
    reserved = event(StockReserved, placed.order_id, case_id=None)
    await orders.publish(INVENTORY_RESERVATIONS, reserved, key=placed.order_id)
    await orders.next(ORDER_STATUS)
    operator = token_issuer.bearer("operator", "opr_1")

    found = await api.get(f"/orders/{placed.order_id}", headers=operator)
    missing = await api.get(f"/orders/{new_order_id()}", headers=operator)

    assert found.status_code == 200
    body = found.json()
    assert (body["order_id"], body["status"], body["market"]) == (placed.order_id, "reserved", "US")
    assert [change["status"] for change in body["history"]] == ["accepted", "reserved"]
    assert missing.status_code == 404


async def test_an_order_waiting_past_its_allowance_is_listed_as_stuck(
    orders: OrdersComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    waiting = await orders.place()
    moved_on = await orders.place()
    reserved = event(StockReserved, moved_on.order_id, case_id=None)
    await orders.publish(INVENTORY_RESERVATIONS, reserved, key=moved_on.order_id)
    operator = token_issuer.bearer("operator", "opr_1")

    async def listed() -> httpx.Response | None:  # once the waiting one is past its allowance
        response = await api.get("/stuck-orders", headers=operator)
        return response if response.status_code != 200 or response.json()["orders"] else None

    response = await wait_for(listed, within=5, interval=0.05)

    assert isinstance(response, httpx.Response)
    assert response.status_code == 200
    stuck = response.json()["orders"]
    assert [(item["order_id"], item["status"]) for item in stuck] == [
        (waiting.order_id, "accepted")
    ]
    assert stuck[0]["allowed_seconds"] == STUCK_AFTER


async def test_only_operators_read_orders(
    orders: OrdersComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    placed = await orders.place()
    path = f"/orders/{placed.order_id}"

    as_buyer = await api.get(path, headers=token_issuer.bearer("buyer", placed.buyer_id))
    without_token = await api.get(path)

    assert (as_buyer.status_code, without_token.status_code) == (403, 401)


async def test_probes_stay_open_and_readiness_checks_the_broker_alone(
    orders: OrdersComponent, api: httpx.AsyncClient
) -> None:
    await orders.place()

    live, ready, metrics = [await api.get(path) for path in ("/healthz", "/readyz", "/metrics")]

    assert (live.status_code, ready.status_code, metrics.status_code) == (200, 200, 200)
    assert ready.json() == {"kafka": "ok"}  # orders are in memory: no database to check
    assert 'conveyor_messages_produced_total{topic="component-orders.status.v1"} 1.0' in (
        metrics.text
    )
