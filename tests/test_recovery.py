"""Recovery on the real broker and database, the services as real processes killed with SIGKILL
between a write and its publish, or between the publish and the event's removal from the outbox.

What the design promises, and what these tests hold it to: an event whose write was stored
leaves exactly once if the process dies before publishing it; if it dies after the publish and
before the removal, the relay sends it again (at least once on the wire, the same event id) and
the consumer's effect happens once.

The kills are placed by state, never by timing: ``service_harness.py`` kills the process at its
relay's first publish (before it, or right after the broker confirmed it).

A deadline pending at a kill: test_recovery_deadlines.py; writes that keep conflicting:
test_recovery_conflicts.py.
"""

import asyncio
import signal

import httpx
from recovery_stack import WAREHOUSE, Stack, fresh_sku, order_placed, until
from recovery_stack import stack as stack  # a fixture: pytest finds it by name here

from conveyor_contracts.groups import GROUP_INVENTORY, GROUP_ORDERS
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import from_example


async def test_a_service_killed_after_its_write_before_its_publish_publishes_once_on_restart(
    stack: Stack,
) -> None:
    placed = order_placed()
    await stack.publish(CHECKOUT_ORDERS, placed, placed.order_id)

    crashed = await stack.start("orders", "--die", "before-publish", ready=False)
    assert await asyncio.wait_for(crashed.process.wait(), 60) == -signal.SIGKILL, crashed.log
    # The kill landed after the write: the order and its events are stored, none has left.
    assert await stack.status("orders", "orders", placed.order_id) == "accepted"
    pending = await stack.outbox("orders", "orders", placed.order_id)
    assert set(pending) == {"OrderAccepted", "OrderStatusChanged"}
    assert await stack.events(ORDER_LIFECYCLE, placed.order_id) == []
    assert await stack.events(ORDER_STATUS, placed.order_id) == []

    await stack.start("orders")

    async def drained_and_committed() -> bool:
        document = await stack.document("orders", "orders", placed.order_id)
        return (
            document is not None
            and document["outbox"] == []
            and await stack.all_committed(GROUP_ORDERS, CHECKOUT_ORDERS)
        )

    # Committed too: a redelivered OrderPlaced, had it emitted again, would be on the wire now.
    await until(drained_and_committed)
    accepted = await stack.events(ORDER_LIFECYCLE, placed.order_id)
    status = await stack.events(ORDER_STATUS, placed.order_id)
    assert [e["event_id"] for e in accepted] == [pending["OrderAccepted"]]
    assert [(e["event_id"], e["status"]) for e in status] == [
        (pending["OrderStatusChanged"], "accepted")
    ]


async def test_a_service_killed_after_its_publish_sends_it_again_and_its_consumer_applies_it_once(
    stack: Stack,
) -> None:
    sku = fresh_sku()
    receipt = from_example(
        GoodsReceived, sku=sku, warehouse_id=WAREHOUSE, quantity=5, receipt_ref=f"GRN-{sku}"
    )
    await stack.publish(WAREHOUSE_RECEIPTS, receipt, sku)
    inventory = await stack.start("inventory")
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{inventory.port}",
        headers=stack.tokens.bearer("operator", "opr_1"),
    ) as http:

        async def levels() -> dict[str, int] | None:
            response = await http.get(f"/stock/{sku}")
            if response.status_code != 200:
                return None
            [level] = [w for w in response.json()["warehouses"] if w["warehouse_id"] == WAREHOUSE]
            return {"on_hand": level["on_hand"], "reserved": level["reserved"]}

        # Stocked before the order exists, so the reservation cannot race the receipt.
        await until(levels)
        placed = order_placed(sku, quantity=2)
        await stack.publish(CHECKOUT_ORDERS, placed, placed.order_id)

        crashed = await stack.start("orders", "--die", "after-publish", ready=False)
        assert await asyncio.wait_for(crashed.process.wait(), 60) == -signal.SIGKILL, crashed.log
        # The kill landed after the confirmed publish and before the removal.
        pending = await stack.outbox("orders", "orders", placed.order_id)
        assert set(pending) == {"OrderAccepted", "OrderStatusChanged"}
        sent = await stack.events(ORDER_LIFECYCLE, placed.order_id)
        assert [e["event_id"] for e in sent] == [pending["OrderAccepted"]]

        await stack.start("orders")

        async def drained() -> bool:
            document = await stack.document("orders", "orders", placed.order_id)
            return document is not None and document["outbox"] == []

        await until(drained)
        # At least once on the wire: the relay cannot know the first copy left, so it sends it
        # again, with the same event id.
        accepted = await stack.events(ORDER_LIFECYCLE, placed.order_id, "OrderAccepted")
        assert [e["event_id"] for e in accepted] == [pending["OrderAccepted"]] * 2

        async def both_copies_consumed() -> bool:
            reservation = await stack.document("inventory", "reservations", placed.order_id)
            return (
                await stack.all_committed(GROUP_INVENTORY, ORDER_LIFECYCLE)
                and reservation is not None
                and reservation["outbox"] == []
            )

        await until(both_copies_consumed)
        # Exactly once in effect: two units reserved once, one StockReserved.
        assert await levels() == {"on_hand": 5, "reserved": 2}
        reserved = await stack.events(INVENTORY_RESERVATIONS, placed.order_id)
        assert [e["event_type"] for e in reserved] == ["StockReserved"]
        status = await stack.events(ORDER_STATUS, placed.order_id)
        assert [e["event_id"] for e in status if e["status"] == "accepted"] == [
            pending["OrderStatusChanged"]
        ]
