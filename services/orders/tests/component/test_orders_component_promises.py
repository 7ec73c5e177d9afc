"""The promise and the delay through orders' topics: ``OrderAccepted`` carries the dispatch-by
and the delivery window, every status repeats the window, and ``ShipmentDelayed`` is told to the
checkout as ``delayed`` once."""

from datetime import date

from orders_component import OrdersComponent, event, new_order_id

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping.booking import ShipmentBooked
from conveyor_contracts.shipping.tracking import ShipmentDelayed, ShipmentDispatched
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
)
from conveyor_contracts.values import DeliveryWindow
from conveyor_runtime.tokens import Issuer
from orders.domain.promise import promise_for

SHIPMENT = "shp_comp00001"


async def test_an_accepted_order_carries_its_promise_on_the_lifecycle_and_the_status(
    orders: OrdersComponent, token_issuer: Issuer
) -> None:
    placed = event(OrderPlaced, new_order_id())
    await orders.publish(CHECKOUT_ORDERS, placed, key=placed.order_id)
    accepted = await orders.next_event(ORDER_LIFECYCLE)
    told = await orders.next_event(ORDER_STATUS)

    stored = await orders.deps.orders.get(placed.order_id)
    assert stored is not None
    policy = orders.settings.promise_policy()
    promise = promise_for(policy, placed.market, placed.service_level, stored.status_since)
    assert promise is not None
    window = DeliveryWindow(earliest=promise.delivery.earliest, latest=promise.delivery.latest)
    assert isinstance(accepted, OrderAccepted)
    assert (accepted.dispatch_by, accepted.promised_delivery) == (promise.dispatch_by, window)
    assert (told.status, told.promised_delivery) == ("accepted", window)

    async with orders.http_api() as api:
        found = await api.get(
            f"/orders/{placed.order_id}", headers=token_issuer.bearer("operator", "opr_1")
        )
    body = found.json()
    assert body["promised_delivery"] == {
        "earliest": window.earliest.isoformat(),
        "latest": window.latest.isoformat(),
    }
    assert body["dispatch_by"] is not None
    assert [line["seller_id"] for line in body["lines"]] == [
        line.seller_id for line in placed.lines
    ]


async def test_a_parcel_forecast_past_the_promise_is_told_delayed_once(
    orders: OrdersComponent,
) -> None:
    placed = await orders.place()
    await orders.publish(
        INVENTORY_RESERVATIONS,
        event(StockReserved, placed.order_id, case_id=None),
        key=placed.order_id,
    )
    assert (await orders.next_event(ORDER_STATUS)).status == "awaiting_pickup"
    for fact in (
        event(ShipmentBooked, placed.order_id, shipment_id=SHIPMENT),
        event(ShipmentDispatched, placed.order_id, shipment_id=SHIPMENT),
    ):
        await orders.publish(SHIPPING_SHIPMENTS, fact, key=placed.order_id)
    assert (await orders.next_event(ORDER_STATUS)).status == "shipped"

    late = event(
        ShipmentDelayed,
        placed.order_id,
        shipment_id=SHIPMENT,
        promised_latest=date(2026, 12, 9),
        forecast_delivery=date(2026, 12, 11),
    )
    for _ in range(2):  # redelivered: told once
        await orders.publish(SHIPPING_SHIPMENTS, late, key=placed.order_id)
    told = await orders.next_event(ORDER_STATUS)

    assert (told.status, told.causation_id) == ("delayed", late.event_id)
    assert told.reason == "now expected on 2026-12-11, after the promised 2026-12-09"
    await orders.settled()
    assert orders.waiting(ORDER_STATUS) == 0
