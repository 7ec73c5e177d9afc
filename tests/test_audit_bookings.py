"""The auditor's invariant of one confirmed booking per parcel (one_confirmed_booking): a booking
confirmed twice or by another carrier than the one booked, and a carrier holding a parcel without
a confirmed booking, each named by its order."""

from audit_run import Run, _fulfilment, _id, _only_broken
from audit_run import run as run  # a fixture: pytest finds it by name here

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_testkit import from_example


async def test_a_booking_confirmed_twice_or_by_another_carrier_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=6)
    twice = run.delivered_order(units=2)
    twice_shipment = next(
        d for s, c, d in run.documents if d["_id"] == twice and c == "fulfilments"
    )
    run.confirm(twice, twice_shipment["shipments"][0]["shipment_id"])
    stranger = run.delivered_order(units=2)
    stranger_shipment = next(
        d for s, c, d in run.documents if d["_id"] == stranger and c == "fulfilments"
    )
    run.confirm(stranger, stranger_shipment["shipments"][0]["shipment_id"], carrier="libertyparcel")

    violations = _only_broken(await run.audit(), "one_confirmed_booking")

    assert {v.ids[0]: v.reason for v in violations} == {
        twice: "booking with swiftpost confirmed twice",
        stranger: "confirmed by libertyparcel, booked with swiftpost",
    }


async def test_a_carrier_holding_a_parcel_without_a_confirmed_booking_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    order_id, shipment_id = _id("ord"), _id("shp")
    run.publish(CHECKOUT_ORDERS, order_id, from_example(OrderPlaced, order_id=order_id))
    run.statuses(order_id, "accepted", "awaiting_pickup", "shipped", "delivered")
    run.store("orders", "orders", {"_id": order_id, "status": "delivered"})
    run.book(order_id, shipment_id)
    run.store("shipping", "fulfilments", _fulfilment(order_id, shipment_id, "delivered"))

    violations = _only_broken(await run.audit(), "one_confirmed_booking")

    assert [v.ids for v in violations] == [(order_id, shipment_id)]
