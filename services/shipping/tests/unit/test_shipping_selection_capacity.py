"""Booking walks the ranking and takes the first carrier with a pickup left today: a full carrier
loses the route to the next, and with none left the booking fails."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from shipping_testkit import NEW_YORK, World, accepted, reserved, world

from shipping.adapters.memory import MemoryCarrierCapacity
from shipping.domain.catalogue import DEFAULT_CARRIERS, Carrier
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)

TORONTO = {
    "address_lines": ["290 Bremner Boulevard"],
    "city": "Toronto",
    "region": "ON",
    "postal_code": "M5V 3L9",
    "country": "CA",
}
MONTREAL = TORONTO | {"city": "Montreal", "region": "QC", "postal_code": "H2Y 1C6"}
EDINBURGH = {
    "address_lines": ["1 Princes Street"],
    "city": "Edinburgh",
    "region": None,
    "postal_code": "EH1 1YZ",
    "country": "GB",
}
CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP"}

# Per market: the warehouse, a destination, the cheapest carrier there and the next one.
ROUTES = [
    pytest.param("WH-US-NJ1", NEW_YORK, "libertyparcel", "swiftpost", id="US"),
    pytest.param("WH-CA-ON1", TORONTO, "borealexpress", "maplefreight", id="CA"),
    pytest.param("WH-GB-LON1", EDINBURGH, "highlandcourier", "thamesparcel", id="GB"),
]


def pickups_a_day(**capacity: int) -> tuple[Carrier, ...]:
    """The default carriers, those named collecting only so many parcels a day."""
    return tuple(
        c.model_copy(update={"daily_capacity": capacity.get(c.code, c.daily_capacity)})
        for c in DEFAULT_CARRIERS
    )


async def order(
    w: World,
    n: int,
    warehouse: str,
    ship_to: dict[str, Any],
    level: str = "standard",
    promise: dict[str, str] | None = None,
) -> str:
    """Accept and reserve order number ``n`` for ``ship_to`` from ``warehouse``; its id. No
    promised window unless ``promise`` (the deadline then comes from the service level)."""
    order_id = f"ord_capacity{n:04d}"
    currency = CURRENCY[ship_to["country"]]
    price = {"amount_minor": 1999, "currency": currency}
    placed = accepted(
        order_id,
        w.clock,
        ship_to=ship_to,
        market=ship_to["country"],
        currency=currency,
        lines=[{"sku": "TEE-BLK-M", "quantity": 2, "unit_price": price}],
        service_level=level,
        promised_delivery=promise,
    )
    await record_order_on_order_accepted(placed, w.shipping)
    await plan_shipments_on_stock_reserved(reserved(order_id, warehouse), w.shipping)
    return order_id


def outcomes(w: World, order_id: str) -> list[Any]:
    """The order's booking events (booked or failed), in order."""
    return [
        m
        for topic, m in w.published()
        if topic == "shipping.shipments.v1"
        and m.order_id == order_id
        and m.event_type in ("ShipmentBooked", "ShipmentBookingFailed")
    ]


def carriers_booked(w: World, order_id: str) -> list[str | None]:
    return [getattr(event, "carrier_code", None) for event in outcomes(w, order_id)]


def claimed(w: World, carrier_code: str) -> int:
    capacity = w.shipping.capacity
    assert isinstance(capacity, MemoryCarrierCapacity)
    return len(capacity.claims.get((carrier_code, w.clock.now.date()), set()))


@pytest.mark.parametrize(("warehouse", "ship_to", "cheapest", "next_best"), ROUTES)
async def test_a_carrier_with_no_pickup_left_today_loses_the_route_to_the_next_best(
    warehouse: str, ship_to: dict[str, Any], cheapest: str, next_best: str
) -> None:
    w = world(carriers=pickups_a_day(**{cheapest: 1}))
    first = await order(w, 1, warehouse, ship_to)
    second = await order(w, 2, warehouse, ship_to)

    assert carriers_booked(w, first) == [cheapest]
    assert carriers_booked(w, second) == [next_best]
    assert w.published()[-2][0] == f"carrier.{next_best}.requests.v1"
    assert (claimed(w, cheapest), claimed(w, next_best)) == (1, 1)


@pytest.mark.parametrize(("warehouse", "ship_to", "cheapest", "next_best"), ROUTES)
async def test_with_every_carrier_of_the_route_full_the_booking_fails_asking_nobody(
    warehouse: str, ship_to: dict[str, Any], cheapest: str, next_best: str
) -> None:
    w = world(carriers=pickups_a_day(**{cheapest: 1, next_best: 1}))
    await order(w, 1, warehouse, ship_to)
    await order(w, 2, warehouse, ship_to)
    w.fulfilments.published.clear()

    third = await order(w, 3, warehouse, ship_to)

    [failed] = outcomes(w, third)
    assert failed.event_type == "ShipmentBookingFailed"
    assert failed.carriers_tried == ()
    assert w.types("carrier.") == []  # no carrier was asked
    assert (claimed(w, cheapest), claimed(w, next_best)) == (1, 1)


async def test_a_carrier_full_today_has_its_pickups_again_tomorrow() -> None:
    w = world(carriers=pickups_a_day(libertyparcel=1))
    await order(w, 1, "WH-US-NJ1", NEW_YORK)
    assert carriers_booked(w, await order(w, 2, "WH-US-NJ1", NEW_YORK)) == ["swiftpost"]

    w.clock.advance(days=1)
    assert carriers_booked(w, await order(w, 3, "WH-US-NJ1", NEW_YORK)) == ["libertyparcel"]


async def test_each_shipment_of_a_split_order_takes_a_pickup_of_its_own() -> None:
    # From New Jersey and from Texas to New York: the East Coast carrier is cheapest for both.
    w = world(carriers=pickups_a_day(libertyparcel=1))
    order_id = "ord_capacitysplit"
    await record_order_on_order_accepted(accepted(order_id, w.clock), w.shipping)
    await plan_shipments_on_stock_reserved(reserved(order_id, "WH-US-NJ1", "WH-US-TX1"), w.shipping)
    booked = [str(code) for code in carriers_booked(w, order_id)]
    assert sorted(booked) == ["libertyparcel", "swiftpost"]


async def test_a_booking_on_time_promises_the_end_of_the_promised_day() -> None:
    w = world()
    [booked] = outcomes(w, await order(w, 1, "WH-US-NJ1", NEW_YORK))
    # Accepted on 14 March at noon; standard is promised within five days.
    assert booked.deliver_by == datetime(2026, 3, 19, 23, 59, 59, tzinfo=UTC)
    assert booked.pickup_by == w.clock.now + timedelta(hours=24)


async def test_with_the_punctual_carrier_full_a_late_one_is_booked_to_its_arrival() -> None:
    # Express from Mississauga to Montreal, promised by the end of 16 March: boreal arrives at its
    # start, maple only on 17 March at noon.
    w = world(carriers=pickups_a_day(borealexpress=1))
    [on_time] = outcomes(w, await order(w, 1, "WH-CA-ON1", MONTREAL, "express"))
    [late] = outcomes(w, await order(w, 2, "WH-CA-ON1", MONTREAL, "express"))

    assert (on_time.carrier_code, on_time.deliver_by) == (
        "borealexpress",
        datetime(2026, 3, 16, 23, 59, 59, tzinfo=UTC),
    )
    assert (late.carrier_code, late.deliver_by) == (
        "maplefreight",
        datetime(2026, 3, 17, 12, 0, tzinfo=UTC),
    )
