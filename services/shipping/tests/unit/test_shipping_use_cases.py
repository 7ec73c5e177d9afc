"""Booking an order's shipments on in-memory adapters: the cheapest carrier serving the route, one
shipment per warehouse, once whatever the events' order or redeliveries; no carrier for the
destination fails the booking, and one an outage interrupted is resumed by the timer."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from shipping_order_steps import ORDER, booked, shipment
from shipping_testkit import accepted, reserved, world

from shipping.adapters.memory import MemoryCarrierCapacity
from shipping.domain.deadlines import next_due
from shipping.domain.shipment import RESUME_BOOKING_AFTER, ShipmentStatus
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)


async def test_the_cheapest_carrier_serving_the_route_is_asked_on_its_own_topic() -> None:
    w = world()
    [shp] = await booked(w)

    # New York from New Jersey: libertyparcel (East Coast) is cheaper than swiftpost.
    topics = [topic for topic, _ in w.published()]
    assert topics == ["carrier.libertyparcel.requests.v1", "shipping.shipments.v1"]
    assert w.types() == ["BookShipment", "ShipmentBooked"]
    assert (await shipment(w, shp)).status is ShipmentStatus.BOOKING_REQUESTED


async def test_reservation_before_the_order_details_waits_then_books() -> None:
    w = world()
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    assert w.types() == []
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    assert w.types() == ["BookShipment", "ShipmentBooked"]


async def test_a_split_reservation_books_one_shipment_per_warehouse() -> None:
    w = world()
    shipments = await booked(w, "WH-US-NJ1", "WH-US-CA1")
    assert len(shipments) == 2
    assert w.types("shipments") == ["ShipmentBooked", "ShipmentBooked"]


async def test_redelivered_events_book_nothing_twice() -> None:
    w = world()
    placed, reservation = accepted(ORDER, w.clock), reserved(ORDER)
    for _ in range(2):
        await record_order_on_order_accepted(placed, w.shipping)
        await plan_shipments_on_stock_reserved(reservation, w.shipping)
    assert w.types() == ["BookShipment", "ShipmentBooked"]


async def test_no_carrier_for_the_destination_fails_the_booking() -> None:
    w = world(carriers=[])
    await booked(w)
    assert w.types("shipments") == ["ShipmentBookingFailed"]
    assert w.published()[-1][1].reason == "no_carrier_serves_destination"


class OutageOnce(MemoryCarrierCapacity):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def claim(self, carrier_code: str, day: date, shipment_id: str, limit: int) -> bool:
        if not self.failed:
            self.failed = True
            raise ConnectionError("database briefly down")
        return await super().claim(carrier_code, day, shipment_id, limit)


async def test_a_booking_an_outage_interrupted_is_due_again_and_resumed_by_the_timer() -> None:
    w = world()
    w.shipping = replace(w.shipping, capacity=OutageOnce())
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    with pytest.raises(ConnectionError):
        await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    assert w.types() == []
    # Not at once: the event path books; the timer only resumes after a grace period.
    assert next_due(fulfilment, timedelta(hours=48)) == w.clock.now + RESUME_BOOKING_AFTER

    await handle_deadlines_on_timer(ORDER, w.clock.advance(seconds=31), w.shipping)
    assert w.types() == ["BookShipment", "ShipmentBooked"]
