"""The shipping API of the running app, over ASGI, with tokens signed by the session's issuer."""

from collections.abc import AsyncIterator

import httpx
import pytest
from shipping_component import NEW_YORK, ShippingComponent, accepts, event, new_order_id, scan

from conveyor_contracts.carriers.tracking import ShipmentDeclined
from conveyor_runtime.tokens import Issuer


@pytest.fixture
async def api(shipping: ShippingComponent) -> AsyncIterator[httpx.AsyncClient]:
    async with shipping.http_api() as client:
        yield client


async def test_an_operator_reads_a_shipment_as_the_carriers_topics_moved_it(
    shipping: ShippingComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    booking = await shipping.book(ship_to=NEW_YORK)
    declined = event(ShipmentDeclined, booking.order_id, shipment_id=booking.shipment_id)
    await shipping.report(booking, declined)  # libertyparcel says no: swiftpost is asked
    rebooked = await shipping.next_shipment_event()
    confirmation = accepts(booking)
    await shipping.report(booking, confirmation, "swiftpost")
    for hours, status in enumerate(("picked_up", "in_transit"), start=1):
        await shipping.report(booking, scan(booking, status, hours=hours), "swiftpost")
    await shipping.settled()
    operator = token_issuer.bearer("operator", "opr_1")

    found = await api.get(f"/shipments/{booking.shipment_id}", headers=operator)
    of_order = await api.get(f"/orders/{booking.order_id}/shipments", headers=operator)
    missing = await api.get(f"/orders/{new_order_id()}/shipments", headers=operator)

    assert rebooked.event_type == "ShipmentRebooked"
    assert found.status_code == 200
    body = found.json()
    assert (body["order_id"], body["status"], body["direction"]) == (
        booking.order_id,
        "in_transit",
        "outbound",
    )
    assert (body["carrier_code"], body["carriers_tried"]) == (
        "swiftpost",
        ["libertyparcel", "swiftpost"],
    )
    assert body["tracking_number"] == confirmation.tracking_number
    assert [s["status"] for s in body["scans"]] == ["picked_up", "in_transit"]
    assert (of_order.status_code, of_order.json()) == (200, [body])
    assert missing.status_code == 404


async def test_only_operators_read_shipments(
    shipping: ShippingComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    booking = await shipping.book()
    path = f"/shipments/{booking.shipment_id}"

    as_buyer = await api.get(path, headers=token_issuer.bearer("buyer", "byr_7KQ2M9"))
    as_agent = await api.get(path, headers=token_issuer.bearer("agent", "agt_1"))
    without_token = await api.get(path)

    assert (as_buyer.status_code, as_agent.status_code, without_token.status_code) == (
        403,
        403,
        401,
    )


async def test_probes_stay_open_and_readiness_checks_the_broker_alone(
    shipping: ShippingComponent, api: httpx.AsyncClient
) -> None:
    await shipping.book()

    live, ready, metrics = [await api.get(path) for path in ("/healthz", "/readyz", "/metrics")]

    assert (live.status_code, ready.status_code, metrics.status_code) == (200, 200, 200)
    assert ready.json() == {"kafka": "ok"}  # fulfilments are in memory: no database to check
    produced = "conveyor_messages_produced_total"
    assert f'{produced}{{topic="component-carrier.swiftpost.requests.v1"}} 1.0' in metrics.text
    assert f'{produced}{{topic="component-shipping.shipments.v1"}} 1.0' in metrics.text
