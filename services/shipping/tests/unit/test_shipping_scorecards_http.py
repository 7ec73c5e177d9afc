"""``GET /carriers/scorecards``: operators only; per carrier both windows, each figure with its
numerator, denominator and rate (null over nothing)."""

from datetime import UTC, datetime, timedelta

import httpx

from conveyor_runtime.problems import PROBLEM_JSON
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import refused_bearers
from shipping.adapters.memory import MemoryFulfilments
from shipping.domain.shipment import BookingRequest, Fulfilment, Line, Scan, Shipment
from shipping.entrypoints.scorecards import CarrierScoreboard, carriers_router
from shipping.settings import ShippingSettings

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PATH = "/carriers/scorecards"


def api(issuer: Issuer, fulfilments: MemoryFulfilments | None = None) -> httpx.AsyncClient:
    settings = ShippingSettings(jwks_path=issuer.jwks_path)
    board = CarrierScoreboard(
        fulfilments or MemoryFulfilments(), ("libertyparcel", "swiftpost"), lambda: NOW
    )
    app = build_api(settings, [carriers_router(board)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s")


async def test_an_operator_reads_every_carriers_figures_in_both_windows(
    token_issuer: Issuer,
) -> None:
    fulfilments = MemoryFulfilments()
    # swiftpost asked 10 days ago, picked it up 9 days ago and delivered it, late, 8 days ago
    delivered = Shipment(
        shipment_id="shp_1",
        reservation_id="rsv_1",
        warehouse_id="WH-US-NJ1",
        lines=(Line("SKU-1", 1),),
        carrier_code="swiftpost",
        deliver_by=NOW - timedelta(days=9),
        scans=(
            Scan("picked_up", NOW - timedelta(days=9), "HUB"),
            Scan("delivered", NOW - timedelta(days=8), "DOOR"),
        ),
        bookings=(BookingRequest("swiftpost", NOW - timedelta(days=10)),),
    )
    fulfilments.fulfilments["ord_1"] = Fulfilment("ord_1", "ord_1", shipments=(delivered,))
    client = api(token_issuer, fulfilments)

    response = await client.get(PATH, headers=token_issuer.bearer("operator", "opr_1"))

    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2026-12-03T12:00:00Z"
    assert [c["carrier_code"] for c in body["carriers"]] == ["libertyparcel", "swiftpost"]
    swiftpost = body["carriers"][1]
    assert swiftpost["last_30_days"]["since"] == "2026-11-03T12:00:00Z"
    assert swiftpost["last_30_days"]["on_time"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    assert swiftpost["last_30_days"]["first_attempt"] == {
        "numerator": 1,
        "denominator": 1,
        "rate": 1.0,
    }
    assert swiftpost["last_30_days"]["loss"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    assert swiftpost["last_30_days"]["decline"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    nothing = {"numerator": 0, "denominator": 0, "rate": None}
    assert swiftpost["last_7_days"]["since"] == "2026-11-26T12:00:00Z"
    for figure in ("on_time", "first_attempt", "loss", "decline"):
        assert swiftpost["last_7_days"][figure] == nothing  # all of it 8 days ago or more
        assert body["carriers"][0]["last_30_days"][figure] == nothing


async def test_other_roles_get_403_and_bad_tokens_401(token_issuer: Issuer) -> None:
    client = api(token_issuer)
    for role in ("buyer", "agent", "seller"):
        headers = token_issuer.bearer(role, "sel_Sneakers001")  # type: ignore[arg-type]
        response = await client.get(PATH, headers=headers)
        assert response.status_code == 403, role
        assert response.headers["content-type"] == PROBLEM_JSON
    for name, headers in refused_bearers(token_issuer).items():
        response = await client.get(PATH, headers=headers)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == PROBLEM_JSON
    assert (await client.get(PATH)).status_code == 401  # no token at all
