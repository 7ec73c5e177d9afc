"""Orders driven through the topics end up in their seller's scorecard and orders at risk."""

from datetime import UTC, datetime

from orders_component import OrdersComponent, event

from conveyor_contracts.inventory import StockReserved, StockShortage
from conveyor_contracts.shipping.booking import ShipmentBooked, ShipmentConfirmed
from conveyor_contracts.shipping.tracking import ShipmentDelivered, ShipmentDispatched
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, SHIPPING_SHIPMENTS
from conveyor_runtime.tokens import Issuer

SELLER = "sel_01J9ZA4S7K2L"  # the contracts' example lines' seller
SHIPMENT = "shp_compsel01"


async def test_a_sellers_orders_through_the_topics_make_its_scorecard_and_risks(
    orders: OrdersComponent, token_issuer: Issuer
) -> None:
    delivered = await orders.place()
    reservation = event(StockReserved, delivered.order_id, case_id=None)
    await orders.publish(INVENTORY_RESERVATIONS, reservation, key=delivered.order_id)
    now = datetime.now(UTC)
    for fact in (
        event(ShipmentBooked, delivered.order_id, shipment_id=SHIPMENT),
        event(ShipmentConfirmed, delivered.order_id, shipment_id=SHIPMENT),
        event(ShipmentDispatched, delivered.order_id, shipment_id=SHIPMENT, picked_up_at=now),
        event(
            ShipmentDelivered,
            delivered.order_id,
            shipment_id=SHIPMENT,
            direction="outbound",
            scanned_at=now,
        ),
    ):
        await orders.publish(SHIPPING_SHIPMENTS, fact, key=delivered.order_id)
    short = await orders.place()
    await orders.publish(
        INVENTORY_RESERVATIONS, event(StockShortage, short.order_id), key=short.order_id
    )
    waiting = await orders.place()
    await orders.settled()

    seller = token_issuer.bearer("seller", SELLER)
    async with orders.http_api() as api:
        card = await api.get(f"/sellers/{SELLER}/scorecard", headers=seller)
        risk = await api.get(f"/sellers/{SELLER}/orders-at-risk?within_hours=720", headers=seller)

    assert card.status_code == 200
    for window in card.json()["windows"]:
        assert (window["orders"], window["carrier_fault_excluded"]) == (3, 0)
        # Only the delivered one is due yet (the waiting one's dispatch-by is ahead, the short
        # one closed before its own): dispatched on time.
        assert window["late_dispatch"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
        assert window["within_late_dispatch_target"] is True
        assert window["valid_tracking"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
        assert window["on_time_delivery"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
        assert window["seller_fault_cancellation"]["numerator"] == 1
        assert window["seller_fault_cancellation"]["denominator"] == 3
    assert risk.status_code == 200
    assert [(item["order_id"], item["status"]) for item in risk.json()["orders"]] == [
        (waiting.order_id, "accepted")
    ]
