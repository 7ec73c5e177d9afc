"""The seller queries on the real database: a seller's orders by acceptance time, and those
still to be picked up by their dispatch-by, soonest first; the scorecard counted from them."""

import uuid
from datetime import UTC, datetime, timedelta

from orders_fixtures import orders_settings

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_runtime.outlet import Cause
from conveyor_runtime.service import build_infrastructure
from conveyor_testkit import Servers
from orders.app import OrdersDeps
from orders.domain.order import Order, OrderLine, OrderStatus, StatusChange
from orders.usecases.score_seller import seller_orders_at_risk, seller_scorecard

NOW = datetime.now(UTC).replace(microsecond=0)


def an_order(
    order_id: str,
    sellers: tuple[str | None, ...],
    accepted_days_ago: float,
    status: OrderStatus,
    due_in_hours: float | None,
) -> Order:
    accepted = NOW - timedelta(days=accepted_days_ago)
    history = [StatusChange(OrderStatus.ACCEPTED, accepted, uuid.uuid4())]
    if status is not OrderStatus.ACCEPTED:
        history.append(StatusChange(status, accepted + timedelta(hours=1), uuid.uuid4()))
    return Order(
        order_id=order_id,
        market="US",
        currency="USD",
        lines=tuple(OrderLine(f"SKU-{i}", 1, 1000, seller) for i, seller in enumerate(sellers)),
        status=status,
        history=tuple(history),
        placed_event_id=uuid.uuid4(),
        content_hash="h",
        dispatch_by=None if due_in_hours is None else NOW + timedelta(hours=due_in_hours),
        closed_reason="stock_shortage" if status is OrderStatus.REJECTED else None,
    )


async def test_a_sellers_orders_are_found_by_acceptance_time_and_by_dispatch_by(
    servers: Servers, kafka: str, namespace: str
) -> None:
    deps = OrdersDeps.on_mongo(build_infrastructure(orders_settings(servers, kafka, namespace)))
    try:
        await found_and_counted(deps)
    finally:
        if deps.infra.mongo is not None:
            await deps.infra.mongo.close()


async def found_and_counted(deps: OrdersDeps) -> None:
    p = f"ord_{uuid.uuid4().hex[:8]}_"
    stored = (
        an_order(f"{p}week", ("sel_A",), 2, OrderStatus.RESERVED, -5),
        an_order(f"{p}month", ("sel_B", "sel_A"), 20, OrderStatus.REJECTED, None),
        an_order(f"{p}older", ("sel_A",), 40, OrderStatus.DELIVERED, None),
        an_order(f"{p}other", ("sel_B",), 1, OrderStatus.ACCEPTED, 2),
        an_order(f"{p}soon", ("sel_A",), 0.5, OrderStatus.ACCEPTED, 10),
        an_order(f"{p}later", ("sel_A",), 0.1, OrderStatus.BOOKED, 60),
        an_order(f"{p}picked", ("sel_A",), 1, OrderStatus.PICKED_UP, -1),
        an_order(f"{p}nobody", (None,), 1, OrderStatus.ACCEPTED, 1),
    )
    for order in stored:
        assert await deps.orders.add(order, [], Cause(uuid.uuid4(), NOW))

    week = await deps.orders.of_seller_accepted_between("sel_A", NOW - timedelta(days=7), NOW)
    month = await deps.orders.of_seller_accepted_between("sel_A", NOW - timedelta(days=30), NOW)
    due = await deps.orders.of_seller_awaiting_pickup("sel_A", NOW + timedelta(hours=24))
    first = await deps.orders.of_seller_awaiting_pickup("sel_A", NOW + timedelta(hours=99), 1)

    assert {o.order_id for o in week} == {f"{p}week", f"{p}soon", f"{p}later", f"{p}picked"}
    assert {o.order_id for o in month} == {o.order_id for o in week} | {f"{p}month"}
    assert [o.order_id for o in due] == [f"{p}week", f"{p}soon"]
    assert [o.order_id for o in first] == [f"{p}week"]
    assert next(o for o in month if o.order_id == f"{p}month") == stored[1]  # read back whole

    card = await seller_scorecard(deps.orders, "sel_A", BusinessCalendar(), NOW)
    assert [(w.orders, w.seller_fault_cancellation.numerator) for w in card.windows] == [
        (4, 0),
        (5, 1),
    ]
    at_risk = await seller_orders_at_risk(deps.orders, "sel_A", NOW, timedelta(hours=24), 10)
    assert [(item.order_id, item.hours_left) for item in at_risk] == [
        (f"{p}week", -5.0),
        (f"{p}soon", 10.0),
    ]
