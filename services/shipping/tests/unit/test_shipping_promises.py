"""The buyer's promise as orders set it: the delivery deadline is its last day's end in the
market, not moved by a slow carrier; the arrival is re-forecast from the pickup and the scans,
and passing the window is told once. Lines keep their seller. Accepted on Saturday 14 March
2026 at noon UTC (New York on summer time: UTC-4); libertyparcel collects within a day and
takes two, so it is expected on Tuesday 17 March."""

from datetime import UTC, date, datetime
from typing import Any

from shipping_order_steps import ORDER
from shipping_testkit import World, accepted, carrier_accepts, reserved, scan, world

from conveyor_contracts.inventory import StockReserved
from conveyor_testkit import from_example
from shipping.adapters.mongo_fulfilments import from_document, to_document
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)

CARRIER = "libertyparcel"
SELLER = "sel_01J9ZA4S7K2L"


async def ordered(w: World, promise: dict[str, str] | None, **fields: Any) -> str:
    await record_order_on_order_accepted(
        accepted(ORDER, w.clock, promised_delivery=promise, **fields), w.shipping
    )
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    [shipment] = fulfilment.shipments
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shipment.shipment_id), CARRIER, w.shipping
    )
    return shipment.shipment_id


def told(w: World, event_type: str) -> list[Any]:
    return [m for _, m in w.published() if m.event_type == event_type]


async def test_a_slow_carrier_does_not_move_the_promised_deadline_and_the_delay_is_told() -> None:
    w = world()
    await ordered(w, {"earliest": "2026-03-16", "latest": "2026-03-16"})

    [booked] = told(w, "ShipmentBooked")
    # The end of Monday 16 March in New York; the carrier's arrival (17 March) does not move it.
    assert booked.deliver_by == datetime(2026, 3, 17, 3, 59, 59, tzinfo=UTC)
    [delayed] = told(w, "ShipmentDelayed")
    assert (delayed.carrier_code, delayed.promised_latest, delayed.forecast_delivery) == (
        CARRIER,
        date(2026, 3, 16),
        date(2026, 3, 17),
    )


async def test_a_scan_that_pushes_the_forecast_past_the_window_tells_it_once() -> None:
    w = world()
    shp = await ordered(w, {"earliest": "2026-03-18", "latest": "2026-03-20"})
    assert told(w, "ShipmentDelayed") == []  # expected on the 17th

    reports = [
        # Wednesday 18: two business days, Friday 20, still inside the window.
        ("picked_up", datetime(2026, 3, 18, 14, tzinfo=UTC)),
        # Friday 20, held up: Monday 23 at the earliest (the weekend skipped).
        ("exception", datetime(2026, 3, 20, 14, tzinfo=UTC)),
        ("out_for_delivery", datetime(2026, 3, 20, 16, tzinfo=UTC)),  # back inside: not undone
        ("delivery_failed", datetime(2026, 3, 20, 20, tzinfo=UTC)),  # past it again: said once
    ]
    for status, at in reports:
        await follow_shipment_on_carrier_report(scan(ORDER, shp, status, at), CARRIER, w.shipping)

    [delayed] = told(w, "ShipmentDelayed")
    assert (delayed.promised_latest, delayed.forecast_delivery) == (
        date(2026, 3, 20),
        date(2026, 3, 23),
    )
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    assert fulfilment.shipments[0].forecast_delivery == date(2026, 3, 23)


async def test_an_order_without_a_promise_keeps_todays_deadline_and_tells_no_delay() -> None:
    w = world()
    shp = await ordered(w, None)
    late = datetime(2026, 3, 27, 14, tzinfo=UTC)
    await follow_shipment_on_carrier_report(
        scan(ORDER, shp, "exception", late), CARRIER, w.shipping
    )

    [booked] = told(w, "ShipmentBooked")
    assert booked.deliver_by == datetime(2026, 3, 19, 23, 59, 59, tzinfo=UTC)  # five days
    assert told(w, "ShipmentDelayed") == []


async def test_lines_keep_their_seller_into_the_shipment_events_and_the_document() -> None:
    w = world()
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    lines = [
        {"sku": "TEE-BLK-M", "quantity": 2, "seller_id": SELLER},
        {"sku": "MUG", "quantity": 1},
    ]
    reservation = from_example(
        StockReserved,
        order_id=ORDER,
        correlation_id=ORDER,
        allocations=[{"warehouse_id": "WH-US-NJ1", "lines": lines}],
    )
    await plan_shipments_on_stock_reserved(reservation, w.shipping)

    [booked] = told(w, "ShipmentBooked")
    assert [line.seller_id for line in booked.lines] == [SELLER, None]
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    stored = to_document(fulfilment, w.shipping.policy.silence, w.shipping.policy.retention)
    assert from_document(stored) == fulfilment  # the promise and forecast days as text


def test_a_document_stored_before_promises_and_sellers_still_loads() -> None:
    w = world()
    document = {
        "_id": ORDER,
        "correlation_id": ORDER,
        "shipments": [
            {
                "shipment_id": "shp_1",
                "reservation_id": "rsv_1",
                "warehouse_id": "WH-US-NJ1",
                "lines": [{"sku": "TEE-BLK-M", "quantity": 1}],
            }
        ],
    }
    fulfilment = from_document(document)
    [shipment] = fulfilment.shipments
    assert (shipment.lines[0].seller_id, shipment.forecast_delivery, shipment.delay_told) == (
        None,
        None,
        False,
    )
    assert w.shipping.policy.calendar.is_business_day("US", date(2026, 3, 16))
