"""The carriers' scorecards in the running app: a parcel delivered after its promise moves its
carrier's on-time figure at the next count, read on ``GET /carriers/scorecards``."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from shipping_component import Booking, ShippingComponent, accepts, scan

from conveyor_contracts.topics import SHIPPING_SHIPMENTS
from conveyor_runtime.tokens import Issuer


async def delivered(shipping: ShippingComponent, booking: Booking) -> None:
    """Accepted, collected and delivered, the scans dated just before now (inside the windows
    the next count ends at); what shipping told of it taken."""
    await shipping.report(booking, accepts(booking))
    for status, hours in (("picked_up", -0.02), ("delivered", -0.01)):
        await shipping.report(booking, scan(booking, status, hours=hours))
    await shipping.next_of(SHIPPING_SHIPMENTS, "ShipmentDelivered")  # what came before, taken
    await shipping.settled()


async def swiftpost_30_days(
    shipping: ShippingComponent, api: httpx.AsyncClient, token: Issuer
) -> Any:
    await shipping.deps.scoreboard.refresh()  # the worker's next pass
    response = await api.get("/carriers/scorecards", headers=token.bearer("operator", "opr_1"))
    assert response.status_code == 200
    [card] = [c for c in response.json()["carriers"] if c["carrier_code"] == "swiftpost"]
    return card["last_30_days"]


async def test_a_delivery_after_the_promise_moves_the_carriers_on_time_figure(
    shipping: ShippingComponent, token_issuer: Issuer
) -> None:
    async with shipping.http_api() as api:
        on_time = await shipping.book()  # San Francisco: swiftpost; due in five days
        await delivered(shipping, on_time)
        before = await swiftpost_30_days(shipping, api, token_issuer)

        # promised for three days ago: delivered now, it is late
        past = (datetime.now(ZoneInfo("America/New_York")).date() - timedelta(days=3)).isoformat()
        late = await shipping.book(promise={"earliest": past, "latest": past})
        await delivered(shipping, late)
        after = await swiftpost_30_days(shipping, api, token_issuer)

    assert (on_time.carrier, late.carrier) == ("swiftpost", "swiftpost")
    assert before["on_time"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
    assert after["on_time"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert after["first_attempt"] == {"numerator": 2, "denominator": 2, "rate": 1.0}
    assert after["loss"] == {"numerator": 0, "denominator": 2, "rate": 0.0}
    assert after["decline"] == {"numerator": 0, "denominator": 2, "rate": 0.0}
