"""The invariant auditor on small namespaces of its own, on the real servers: a run where
everything holds, and invariants skipped are reported, not claimed.

For each invariant a run that breaks it (and only it), named by the offending order id or key:
test_audit_orders.py, test_audit_bookings.py, test_audit_stock.py, test_audit_messaging.py.
"""

import pytest
from audit_run import Run, _by_name, _id
from audit_run import run as run  # a fixture: pytest finds it by name here

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_local.audit.auditor import audit
from conveyor_testkit import from_example


async def test_a_consistent_run_holds_every_invariant(run: Run) -> None:
    run.delivered_order(units=2)
    run.delivered_order(units=3)
    run.stock(received=10, on_hand=5)

    result = await run.audit()

    assert result.held, result.table()
    checked = {i.name: i.checked for i in result.invariants}
    assert checked["orders_ended"] == checked["status_monotonic"] == 2
    assert checked["one_confirmed_booking"] == 2
    assert checked["stock_conserved"] == 1
    assert result.to_json()["held"] is True
    assert result.messages == 2 + 8 + 4 + 1


async def test_skipped_invariants_are_reported_not_claimed(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    in_flight = _id("ord")
    run.publish(CHECKOUT_ORDERS, in_flight, from_example(OrderPlaced, order_id=in_flight))
    run.store("orders", "orders", {"_id": in_flight, "status": "accepted"})

    result = await run.audit(skip={"orders_ended": "the phase was cut short"})

    assert result.held
    skipped = _by_name(result)["orders_ended"]
    assert (skipped.held, skipped.skipped, skipped.violations) == (
        False,
        "the phase was cut short",
        [],
    )
    with pytest.raises(ValueError, match="no such invariant"):
        await audit(run.servers.kafka, run.servers.mongo_url, run.prefix, skip={"x": ""})
