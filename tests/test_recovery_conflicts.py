"""A message whose writes keep conflicting with another writer (``service_harness.py --contend``
around a real orders process) is parked with its reason after a bound, and its partition goes on
without it; it is parked, not half applied."""

import json

from recovery_stack import Record, Stack, order_placed, until
from recovery_stack import stack as stack  # a fixture: pytest finds it by name here

from conveyor_contracts.groups import GROUP_ORDERS
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.topics import CHECKOUT_ORDERS, INVENTORY_RESERVATIONS
from conveyor_testkit import from_example


async def test_a_message_whose_writes_keep_conflicting_is_dead_lettered_and_its_partition_goes_on(
    stack: Stack,
) -> None:
    contested, next_one = order_placed(), order_placed()
    for placed in (contested, next_one):
        await stack.publish(CHECKOUT_ORDERS, placed, placed.order_id)
    # Another writer moves the contested order's version after each of the service's reads.
    await stack.start("orders", "--max-conflict-attempts", "4", "--contend", contested.order_id)
    orders = stack.database("orders")["orders"]

    async def both_accepted() -> bool:
        found = orders.find({"_id": {"$in": [contested.order_id, next_one.order_id]}})
        return [d["status"] async for d in found] == ["accepted", "accepted"]

    await until(both_accepted)
    # ...and has moved it once already: the copy the service kept of its own write is stale.
    await orders.update_one({"_id": contested.order_id}, {"$inc": {"version": 1}})

    reservations = [
        from_example(
            StockReserved,
            order_id=placed.order_id,
            correlation_id=placed.order_id,
            case_id=None,  # the example's is a reshipment's
        )
        for placed in (contested, next_one)
    ]
    for event in reservations:  # in this order, on the topic's one partition
        await stack.publish(INVENTORY_RESERVATIONS, event, event.order_id)

    async def parked() -> list[Record]:
        return await stack.records(INVENTORY_RESERVATIONS.dead_letter)

    [dead_letter] = await until(parked)
    headers = {name: value.decode() for name, value in dead_letter.headers}
    assert dead_letter.key == contested.order_id.encode()
    assert json.loads(dead_letter.value or b"")["event_id"] == str(reservations[0].event_id)
    assert headers["x-dlq-reason"].startswith("ConcurrentUpdateError"), headers
    assert headers["x-dlq-original-topic"] == stack.topic(INVENTORY_RESERVATIONS)

    async def went_on() -> bool:
        after = await orders.find_one({"_id": next_one.order_id})
        return (
            after is not None
            and after["status"] == "reserved"
            and await stack.all_committed(GROUP_ORDERS, INVENTORY_RESERVATIONS)
        )

    await until(went_on)
    # Parked, not half applied.
    assert await stack.status("orders", "orders", contested.order_id) == "accepted"
