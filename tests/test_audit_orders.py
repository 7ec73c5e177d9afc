"""The auditor's invariants of an order's life, each broken by a run of its own: an order lost or
left in flight is named (orders_ended), unless it waits on an open case or on a return no carrier
would collect; a status going back is named (status_monotonic), one sharing a public name with an
earlier status is not."""

from audit_run import Run, _fulfilment, _id, _only_broken
from audit_run import run as run  # a fixture: pytest finds it by name here

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_testkit import from_example


async def test_an_order_lost_or_left_in_flight_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    never_stored = _id("ord")
    run.publish(CHECKOUT_ORDERS, never_stored, from_example(OrderPlaced, order_id=never_stored))
    in_flight = _id("ord")
    run.publish(CHECKOUT_ORDERS, in_flight, from_example(OrderPlaced, order_id=in_flight))
    run.statuses(in_flight, "accepted")
    run.store("orders", "orders", {"_id": in_flight, "status": "accepted"})

    violations = _only_broken(await run.audit(), "orders_ended")

    assert {v.ids[0]: v.reason for v in violations} == {
        never_stored: "placed, but not in the orders database",
        in_flight: "still accepted: neither at an end nor waiting",
    }


async def test_a_lost_parcel_waits_only_while_its_case_is_open(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    lost = {}
    for case_settled, reshipment in ((False, None), (True, None), (True, "booking_failed")):
        order_id, shipment_id = _id("ord"), _id("shp")
        run.publish(CHECKOUT_ORDERS, order_id, from_example(OrderPlaced, order_id=order_id))
        run.statuses(order_id, "accepted", "awaiting_pickup", "shipped", "lost")
        run.store("orders", "orders", {"_id": order_id, "status": "lost"})
        run.book(order_id, shipment_id)
        run.confirm(order_id, shipment_id)
        fulfilment = _fulfilment(order_id, shipment_id, "lost")
        if reshipment is not None:  # ...booked by no carrier: its own case waits for an agent
            fulfilment["shipments"].append({"shipment_id": _id("shp"), "status": reshipment})
        run.store("shipping", "fulfilments", fulfilment)
        case = {"case_id": _id("case"), "kind": "lost_parcel", "status": "open", "settlement": None}
        if case_settled:  # ...by a reshipment, which never came unless one failed its booking
            case["settlement"] = {"action": "reship"}
        run.store("support", "cases", {"_id": order_id, "cases": [case]})
        lost[case_settled, reshipment] = order_id

    violations = _only_broken(await run.audit(), "orders_ended")

    assert [v.ids[0] for v in violations] == [lost[True, None]]


async def test_a_return_waits_only_when_no_carrier_would_collect_it(run: Run) -> None:
    run.stock(received=10, on_hand=6)
    returns = {}
    for pickup in ("booking_failed", "booking_requested"):
        order_id = run.delivered_order(units=2)
        run.statuses(order_id, "return_in_progress")
        stored = next(d for s, c, d in run.documents if c == "orders" and d["_id"] == order_id)
        stored["status"] = "return_requested"
        fulfilment = next(
            d for s, c, d in run.documents if c == "fulfilments" and d["_id"] == order_id
        )
        back = {"shipment_id": _id("shp"), "status": pickup, "returning": {"rma_id": _id("rma")}}
        fulfilment["shipments"].append(back)
        returns[pickup] = order_id

    violations = _only_broken(await run.audit(), "orders_ended")

    assert [v.ids[0] for v in violations] == [returns["booking_requested"]]


async def test_a_status_going_back_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=8)
    order_id = run.delivered_order(units=2)
    run.statuses(order_id, "awaiting_pickup", "delivered")  # after shipped and delivered

    violations = _only_broken(await run.audit(), "status_monotonic")

    assert [(v.ids, v.reason) for v in violations] == [
        ((order_id,), "delivered -> awaiting_pickup goes back")
    ]


async def test_a_status_that_shares_a_public_name_is_not_a_regression(run: Run) -> None:
    """Reserved and booked both show as awaiting_pickup; returned covers a return back at the
    warehouse (below refund_requested) as well as a parcel returned to sender."""
    run.stock(received=10, on_hand=10)
    order_id = _id("ord")
    run.publish(CHECKOUT_ORDERS, order_id, from_example(OrderPlaced, order_id=order_id))
    run.statuses(
        order_id, "accepted", "awaiting_pickup", "awaiting_pickup", "shipped", "delivered",
        "return_in_progress", "returned", "refund_requested",
    )  # fmt: skip
    run.store("orders", "orders", {"_id": order_id, "status": "refund_requested"})

    assert (await run.audit()).held


async def test_delayed_shows_a_status_on_the_way_and_is_no_regression_until_after_delivery(
    run: Run,
) -> None:
    """``delayed`` stands for booked, picked up, out for delivery or a failed attempt: between
    shipped and delivered it is progress; after delivered it would go back."""
    run.stock(received=10, on_hand=10)
    on_time = _id("ord")
    run.publish(CHECKOUT_ORDERS, on_time, from_example(OrderPlaced, order_id=on_time))
    run.statuses(on_time, "accepted", "awaiting_pickup", "shipped", "delayed", "delivered")
    run.store("orders", "orders", {"_id": on_time, "status": "delivered"})
    after = _id("ord")
    run.publish(CHECKOUT_ORDERS, after, from_example(OrderPlaced, order_id=after))
    run.statuses(after, "accepted", "shipped", "delivered", "delayed", "delivered")
    run.store("orders", "orders", {"_id": after, "status": "delivered"})

    violations = _only_broken(await run.audit(), "status_monotonic")

    assert [(v.ids, v.reason) for v in violations] == [((after,), "delivered -> delayed goes back")]
