"""The promise and the delay through the use cases: set once at acceptance and told on every
status; a forecast past the promise shows the order delayed, once, until it is delivered."""

from datetime import date

from orders_testkit import event
from test_order_use_cases import emitted, placed_and_accepted

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.shipping.booking import ShipmentBooked
from conveyor_contracts.shipping.tracking import (
    DeliveryAttemptFailed,
    ShipmentDelayed,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentInTransit,
)
from conveyor_contracts.values import DeliveryWindow
from orders.adapters.memory_orders import MemoryOrders
from orders.domain.promise import PromisePolicy, promise_for
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed
from orders.usecases.delay_order_on_shipment_delayed import delay_order_on_shipment_delayed
from orders.usecases.progress_order_on_reservation import progress_order_on_reservation
from orders.usecases.progress_order_on_shipment import progress_order_on_shipment

SHIPMENT = "shp_delay00001"


def told(orders: MemoryOrders, order_id: str) -> list[tuple[str, str | None]]:
    return [
        (e.status, e.reason)
        for kind, e in emitted(orders, order_id)
        if kind == "OrderStatusChanged"
    ]


async def test_an_accepted_order_is_promised_once_and_told_the_promise_on_every_status() -> None:
    orders = MemoryOrders()
    placed = await placed_and_accepted(orders, "ord_pr_1")
    order = orders.orders["ord_pr_1"]
    expected = promise_for(PromisePolicy(), placed.market, placed.service_level, order.status_since)
    assert expected is not None
    assert (order.dispatch_by, order.promised_delivery) == (expected.dispatch_by, expected.delivery)

    # Redelivered, even counted with other days: the promise made stays.
    await accept_order_on_order_placed(placed, orders, PromisePolicy(handling_days=9))
    await progress_order_on_reservation(event(StockReserved, "ord_pr_1", case_id=None), orders)
    assert orders.orders["ord_pr_1"].dispatch_by == expected.dispatch_by
    assert orders.orders["ord_pr_1"].promised_delivery == expected.delivery

    window = DeliveryWindow(earliest=expected.delivery.earliest, latest=expected.delivery.latest)
    kinds = emitted(orders, "ord_pr_1")
    accepted = kinds[0][1]
    assert (accepted.dispatch_by, accepted.promised_delivery) == (expected.dispatch_by, window)
    statuses = [e for kind, e in kinds if kind == "OrderStatusChanged"]
    assert [e.status for e in statuses] == ["accepted", "awaiting_pickup"]
    assert {e.promised_delivery for e in statuses} == {window}


async def test_order_lines_keep_their_seller() -> None:
    orders = MemoryOrders()
    placed = await placed_and_accepted(orders, "ord_pr_2")
    lines = orders.orders["ord_pr_2"].lines
    assert [line.seller_id for line in lines] == [line.seller_id for line in placed.lines]
    assert lines[0].seller_id == "sel_01J9ZA4S7K2L"

    unsold = event(OrderPlaced, "ord_pr_3").model_dump(mode="json")
    for line in unsold["lines"]:
        del line["seller_id"]  # a checkout older than sellers
    await accept_order_on_order_placed(OrderPlaced.model_validate(unsold), orders)
    assert {line.seller_id for line in orders.orders["ord_pr_3"].lines} == {None}


async def shipped(orders: MemoryOrders, order_id: str) -> None:
    await placed_and_accepted(orders, order_id)
    await progress_order_on_reservation(event(StockReserved, order_id, case_id=None), orders)
    for fact in (
        event(ShipmentBooked, order_id, shipment_id=SHIPMENT),
        event(ShipmentDispatched, order_id, shipment_id=SHIPMENT),
    ):
        await progress_order_on_shipment(fact, orders)  # type: ignore[arg-type]


def delayed(order_id: str, forecast: date = date(2026, 12, 11)) -> ShipmentDelayed:
    return event(
        ShipmentDelayed,
        order_id,
        shipment_id=SHIPMENT,
        promised_latest=date(2026, 12, 9),
        forecast_delivery=forecast,
    )


async def test_a_forecast_past_the_promise_is_told_once_until_the_order_is_delivered() -> None:
    orders = MemoryOrders()
    await shipped(orders, "ord_pr_4")
    late = delayed("ord_pr_4")
    await delay_order_on_shipment_delayed(late, orders)
    await delay_order_on_shipment_delayed(late, orders)  # redelivered
    await delay_order_on_shipment_delayed(delayed("ord_pr_4", date(2026, 12, 14)), orders)
    for fact in (
        event(ShipmentInTransit, "ord_pr_4", shipment_id=SHIPMENT, stage="out_for_delivery"),
        event(DeliveryAttemptFailed, "ord_pr_4", shipment_id=SHIPMENT, direction="outbound"),
        event(ShipmentDelivered, "ord_pr_4", shipment_id=SHIPMENT, direction="outbound"),
    ):
        await progress_order_on_shipment(fact, orders)  # type: ignore[arg-type]

    assert told(orders, "ord_pr_4")[3:] == [
        ("delayed", "now expected on 2026-12-11, after the promised 2026-12-09"),
        ("delivered", None),
    ]


async def test_a_delay_told_before_booking_shows_once_the_parcel_is_on_its_way() -> None:
    orders = MemoryOrders()
    await placed_and_accepted(orders, "ord_pr_5")
    await delay_order_on_shipment_delayed(delayed("ord_pr_5"), orders)
    assert told(orders, "ord_pr_5") == [("accepted", None)]

    await progress_order_on_reservation(event(StockReserved, "ord_pr_5", case_id=None), orders)
    await progress_order_on_shipment(
        event(ShipmentBooked, "ord_pr_5", shipment_id=SHIPMENT), orders
    )
    assert [status for status, _ in told(orders, "ord_pr_5")] == [
        "accepted",
        "awaiting_pickup",
        "delayed",
    ]
