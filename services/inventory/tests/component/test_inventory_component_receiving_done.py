"""The warehouse's receiving done over HTTP in the running app: an operator ends an inbound
shipment's reconciliation before its grace runs out (what is short told once, then the outcome,
no deadline left); a repeat answers it as it ended; other roles get 403, an unknown ASN 404."""

from collections.abc import AsyncIterator

import httpx
import pytest
from inbound_component import announce, body, received
from inventory_component import SELLER, SKU, InventoryComponent

from conveyor_contracts.inbound import InboundDiscrepancyFound, InboundShipmentReconciled
from conveyor_contracts.topics import INVENTORY_INBOUND, WAREHOUSE_RECEIPTS
from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers


@pytest.fixture
async def api(inventory: InventoryComponent) -> AsyncIterator[httpx.AsyncClient]:
    async with inventory.http_api() as client:
        yield client


def done(asn_id: str) -> str:
    return f"/inbound-shipments/{asn_id}/receiving-done"


async def test_receiving_done_ends_a_short_shipment_now_and_a_repeat_changes_nothing(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    asn = (await announce(api, token_issuer, body((SKU, 10), ("MUG-WHT-OS", 4)))).json()
    await inventory.publish(WAREHOUSE_RECEIPTS, received(asn["asn_id"], 7))
    await inventory.taken(INVENTORY_INBOUND)  # the announcement
    operator = token_issuer.bearer("operator", "opr_1")

    ended = await api.post(done(asn["asn_id"]), headers=operator)
    told = await inventory.taken(INVENTORY_INBOUND)
    again = await api.post(done(asn["asn_id"]), headers=operator)

    assert ended.status_code == 200, ended.text
    assert ended.json() == asn | {
        "status": "reconciled",
        "outcome": "short",
        "lines": [
            {"sku": SKU, "expected": 10, "received": 7},
            {"sku": "MUG-WHT-OS", "expected": 4, "received": 0},
        ],
        "discrepancies": [
            {"kind": "short", "sku": SKU, "expected": 10, "received": 7},
            {"kind": "short", "sku": "MUG-WHT-OS", "expected": 4, "received": 0},
        ],
    }
    assert [(type(e), getattr(e, "sku", None)) for e in told] == [
        (InboundDiscrepancyFound, SKU),
        (InboundDiscrepancyFound, "MUG-WHT-OS"),
        (InboundShipmentReconciled, None),
    ]
    assert all(e.correlation_id == asn["asn_id"] for e in told)
    assert (again.status_code, again.json()) == (200, ended.json())
    assert await inventory.taken(INVENTORY_INBOUND) == []  # told once
    assert inventory.deps.inbound.timers.due(asn["asn_id"]) is None
    shipments = await api.get(f"/sellers/{SELLER}/inbound-shipments", headers=operator)
    assert shipments.json()["inbound_shipments"] == [ended.json()]


async def test_only_operators_say_receiving_is_done_and_an_unknown_asn_is_404(
    inventory: InventoryComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    asn_id = (await announce(api, token_issuer, body())).json()["asn_id"]

    for role, subject in (("seller", SELLER), ("buyer", "byr_1"), ("agent", "agt_1")):
        refused = await api.post(done(asn_id), headers=token_issuer.bearer(role, subject))  # type: ignore[arg-type]
        assert refused.status_code == 403, role
        assert refused.headers["content-type"] == PROBLEM_JSON
    for name, headers in refused_bearers(token_issuer).items():
        assert (await api.post(done(asn_id), headers=headers)).status_code == 401, name
    unknown = await api.post(
        done("asn_UNKNOWN00000000000000000"), headers=token_issuer.bearer("operator", "opr_1")
    )

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM_JSON
    assert unknown.json()["detail"] == "unknown inbound shipment asn_UNKNOWN00000000000000000"
    stored = await inventory.deps.inbound.shipments.get(asn_id)
    assert stored is not None
    assert stored.status == "open"  # no refused call ended it
    assert inventory.deps.inbound.timers.due(asn_id) == stored.closes_at
