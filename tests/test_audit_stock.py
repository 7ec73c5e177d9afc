"""The auditor's invariants of goods and money, each broken by a run of its own: a parcel
restocked twice and an RMA refunded twice (one_restock_and_refund), stock that does not add up
and a hold a shipped reservation left behind (stock_conserved), each named."""

from audit_run import SKU, WAREHOUSE, Run, _id, _only_broken
from audit_run import run as run  # a fixture: pytest finds it by name here

from conveyor_contracts.inventory import StockRestocked
from conveyor_contracts.support import RefundRequested
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, SUPPORT_REFUNDS
from conveyor_testkit import from_example


async def test_a_parcel_restocked_twice_and_an_rma_refunded_twice_are_named(run: Run) -> None:
    run.stock(received=10, on_hand=8)
    restocked = run.delivered_order(units=2)
    shipment_id, rma_id = _id("shp"), _id("rma")
    for _ in range(2):  # two events, two ids: not a re-publish of one
        event = from_example(
            StockRestocked,
            order_id=restocked,
            shipment_id=shipment_id,
            warehouse_id=WAREHOUSE,
            restocked=(),
            written_off=({"sku": SKU, "quantity": 1},),
        )
        run.publish(INVENTORY_RESERVATIONS, restocked, event)
    refunded = run.delivered_order(units=0)
    refund = from_example(RefundRequested, order_id=refunded, rma_id=rma_id)
    run.publish(SUPPORT_REFUNDS, refunded, refund)
    run.publish(SUPPORT_REFUNDS, refunded, refund)  # the same event re-published: one request
    another = from_example(RefundRequested, order_id=refunded, rma_id=rma_id, refund_id=_id("rfd"))
    run.publish(SUPPORT_REFUNDS, refunded, another)

    violations = _only_broken(await run.audit(), "one_restock_and_refund")

    assert {v.ids: v.reason for v in violations} == {
        (restocked, shipment_id): "restocked 2 times",
        (refunded, rma_id): "2 refund requests for one RMA",
    }


async def test_stock_that_does_not_add_up_is_named(run: Run) -> None:
    run.delivered_order(units=2)
    run.stock(received=10, on_hand=9)  # 10 received - 2 shipped is 8

    violations = _only_broken(await run.audit(), "stock_conserved")

    assert [(v.ids, v.reason) for v in violations] == [
        ((f"{SKU}@{WAREHOUSE}",), "on hand 9, but received 10 + restocked 0 - shipped 2 = 8")
    ]


async def test_a_hold_left_by_a_shipped_reservation_is_named(run: Run) -> None:
    order_id = run.delivered_order(units=2)
    reservation = next(d for s, c, d in run.documents if c == "reservations")
    run.stock(
        received=10,
        on_hand=8,
        reserved=2,
        available=6,
        holds={reservation["reservation_id"]: 2},  # committed, but its hold was never removed
    )

    violations = _only_broken(await run.audit(), "stock_conserved")

    assert [v.ids for v in violations] == [(f"{SKU}@{WAREHOUSE}", reservation["reservation_id"])]
    assert order_id == reservation["order_id"]
