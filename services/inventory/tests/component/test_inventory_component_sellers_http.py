"""The sellers' routes of the running app over ASGI: a seller reaches only its own (another
seller's answers 404, as if it did not exist), an operator reads any seller's, other roles get
403 and no token 401; an announcement breaking a rule is a 422 problem naming the field."""

from collections.abc import AsyncIterator

import httpx
import pytest
from inbound_component import announce, body, in_days, received
from inventory_component import SELLER, SKU, WAREHOUSE, InventoryComponent

from conveyor_contracts.topics import WAREHOUSE_RECEIPTS
from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers

OTHER = "sel_OTHER0002"


@pytest.fixture
async def api(inventory: InventoryComponent) -> AsyncIterator[httpx.AsyncClient]:
    async with inventory.http_api() as client:
        yield client


async def test_a_seller_reads_its_stock_and_inbound_shipments_as_receipts_moved_them(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    asn = (await announce(api, token_issuer, body((SKU, 10), ("MUG-WHT-OS", 2)))).json()
    await inventory.publish(WAREHOUSE_RECEIPTS, received(asn["asn_id"], 12))
    await inventory.receive(3, warehouse_id="WH-US-CA1")  # the examples' receipts: SELLER's
    await inventory.reserve(2)
    seller = token_issuer.bearer("seller", SELLER)

    stock = await api.get(f"/sellers/{SELLER}/stock", headers=seller)
    shipments = await api.get(f"/sellers/{SELLER}/inbound-shipments", headers=seller)

    assert stock.status_code == 200
    assert stock.json() == {
        "seller_id": SELLER,
        "stock": [
            {"sku": SKU, "warehouse_id": "WH-US-CA1", "on_hand": 3, "reserved": 0}
            | {"available": 3},
            {"sku": SKU, "warehouse_id": WAREHOUSE, "on_hand": 14, "reserved": 2}
            | {"available": 12},
        ],
    }
    assert shipments.status_code == 200
    [shipment] = shipments.json()["inbound_shipments"]
    assert shipment == asn | {
        "lines": [
            {"sku": SKU, "expected": 10, "received": 12},
            {"sku": "MUG-WHT-OS", "expected": 2, "received": 0},
        ],
        "discrepancies": [{"kind": "over", "sku": SKU, "expected": 10, "received": 12}],
    }
    assert (shipment["status"], shipment["outcome"]) == ("open", None)


async def test_another_seller_s_routes_answer_404_and_an_operator_reads_them(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    await announce(api, token_issuer, body())
    await inventory.receive(3)
    other = token_issuer.bearer("seller", OTHER)
    operator = token_issuer.bearer("operator", "opr_1")
    paths = [f"/sellers/{SELLER}/stock", f"/sellers/{SELLER}/inbound-shipments"]

    for path in paths:
        hidden = await api.get(path, headers=other)
        read = await api.get(path, headers=operator)
        own_empty = await api.get(path.replace(SELLER, OTHER), headers=other)
        assert hidden.status_code == 404, path
        assert hidden.headers["content-type"] == PROBLEM_JSON
        assert hidden.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "not found",
        }
        assert read.status_code == 200, path
        assert read.json()["seller_id"] == SELLER
        assert [len(items) for items in read.json().values() if isinstance(items, list)] == [1]
        assert own_empty.status_code == 200, path
        assert [items for items in own_empty.json().values() if isinstance(items, list)] == [[]]
    as_other = await api.post(f"/sellers/{SELLER}/inbound-shipments", json=body(), headers=other)
    as_operator = await api.post(
        f"/sellers/{SELLER}/inbound-shipments", json=body(), headers=operator
    )
    assert (as_other.status_code, as_operator.status_code) == (404, 403)


async def test_buyers_and_agents_get_403_and_bad_tokens_401(
    api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    paths = [f"/sellers/{SELLER}/stock", f"/sellers/{SELLER}/inbound-shipments"]
    for path in paths:
        for role in ("buyer", "agent"):
            response = await api.get(path, headers=token_issuer.bearer(role, "x"))  # type: ignore[arg-type]
            assert response.status_code == 403, (path, role)
        for name, headers in refused_bearers(token_issuer).items():
            response = await api.get(path, headers=headers)
            assert response.status_code == 401, (path, name)
            assert response.headers["content-type"] == PROBLEM_JSON
    buyer = await api.post(
        f"/sellers/{SELLER}/inbound-shipments",
        json=body(),
        headers=token_issuer.bearer("buyer", "byr_1"),
    )
    anonymous = await api.post(f"/sellers/{SELLER}/inbound-shipments", json=body())
    assert (buyer.status_code, anonymous.status_code) == (403, 401)


async def test_an_announcement_breaking_a_rule_is_a_422_problem_naming_each_field(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    await inventory.receive(1)  # the examples' SKU is SELLER's
    cases = {
        "SKU twice": (
            body((SKU, 1), ("MUG-WHT-OS", 1), (SKU, 2)),
            [("body.lines.2.sku", f"{SKU} is announced twice")],
        ),
        "unknown warehouse": (
            body(warehouse_id="WH-US-ZZ9"),
            [("body.warehouse_id", "not a warehouse of the network")],
        ),
        "arrival in the past": (
            body(arrival=in_days(-1)),
            [("body.expected_arrival", f"before today ({in_days(0)}) there")],
        ),
    }
    for name, (announcement, invalid) in cases.items():
        response = await announce(api, token_issuer, announcement)
        assert response.status_code == 422, name
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = response.json()
        assert [(p["name"], p["reason"]) for p in problem["invalid-params"]] == invalid, name
    another_seller_s = await announce(api, token_issuer, body(), seller=OTHER)
    no_lines = await announce(api, token_issuer, body() | {"lines": []})
    too_many = await announce(api, token_issuer, body((SKU, 100_001)))
    assert another_seller_s.status_code == 422
    assert [p["name"] for p in another_seller_s.json()["invalid-params"]] == ["body.lines.0.sku"]
    assert (no_lines.status_code, too_many.status_code) == (422, 422)
    shipments = await api.get(
        f"/sellers/{SELLER}/inbound-shipments", headers=token_issuer.bearer("seller", SELLER)
    )
    assert shipments.json()["inbound_shipments"] == []  # nothing stored
