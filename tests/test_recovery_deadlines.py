"""Deadlines across a SIGKILL, the services as real processes on the real broker and database: a
deadline pending at the kill fires once after the restart (one claim, one write), with one
instance or two.

The kills are placed by state, never by timing: once the pending state is stored, published and
its input committed.
"""

import asyncio
import functools
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from recovery_stack import Running, Stack, fresh_sku, until
from recovery_stack import stack as stack  # a fixture: pytest finds it by name here

from conveyor_contracts.groups import GROUP_INVENTORY
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, ORDER_LIFECYCLE
from conveyor_testkit import from_example


def backorder_env(wait_seconds: float, sweep_seconds: float = 300.0) -> dict[str, str]:
    return {
        "INVENTORY_UNFILLABLE_POLICY": "backorder",
        "INVENTORY_BACKORDER_MAX_WAIT_SECONDS": str(wait_seconds),
        "INVENTORY_TIMER_SWEEP_SECONDS": str(sweep_seconds),
    }


async def backordered(stack: Stack) -> tuple[str, datetime, int]:
    """An order no stock covers, backordered by the running inventory: stored, published and
    its OrderAccepted committed, so all that is left in flight is the deadline. The order id, the
    deadline and the reservation's version."""
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    line = {
        "sku": fresh_sku(),
        "quantity": 1,
        "unit_price": {"amount_minor": 1000, "currency": "USD"},
    }
    accepted = from_example(OrderAccepted, order_id=order_id, correlation_id=order_id, lines=[line])
    await stack.publish(ORDER_LIFECYCLE, accepted, order_id)

    async def stored_and_committed() -> bool:
        return bool(
            await stack.events(INVENTORY_RESERVATIONS, order_id, "StockBackordered")
        ) and await stack.all_committed(GROUP_INVENTORY, ORDER_LIFECYCLE)

    await until(stored_and_committed)
    assert await stack.status("inventory", "reservations", order_id) == "backordered"
    stored = await stack.document("inventory", "reservations", order_id) or {}
    return order_id, stored["due_at"].replace(tzinfo=UTC), stored["version"]


async def fired_once(
    stack: Stack, order_id: str, due_at: datetime, version: int, *, relays: int = 1
) -> None:
    """The deadline fired once, not before it was due: the reservation is short with nothing
    left due or unsent, and one StockShortage was written, by one versioned write.

    A second firing would write its own StockShortage (same derived id, its own
    ``occurred_at``), so one firing is one distinct payload on the wire. Copies of that one
    are what at-least-once allows: an instance whose read finds another's entry not yet
    removed hands it to its own relay too, so up to one copy per instance's relay.
    """

    async def settled() -> bool:
        stored = await stack.document("inventory", "reservations", order_id)
        return stored is not None and stored["due_at"] is None and stored["outbox"] == []

    await until(settled, within=45)
    # A second firing would come from a poller that still remembers the deadline (a retry
    # after a failure, or a copy learnt before the firing elsewhere). Once the document holds
    # none and no live instance's poller knows of any, none can come: wait for that.
    await until(functools.partial(nothing_left_to_fire, stack), within=30)
    stored = await stack.document("inventory", "reservations", order_id) or {}
    assert (stored["status"], stored["version"]) == ("short", version + 1)
    shortages = await stack.events(INVENTORY_RESERVATIONS, order_id, "StockShortage")
    assert len({json.dumps(e, sort_keys=True) for e in shortages}) == 1, shortages
    assert 1 <= len(shortages) <= relays, shortages
    assert datetime.fromisoformat(shortages[0]["occurred_at"]) >= due_at
    kinds = [e["event_type"] for e in await stack.events(INVENTORY_RESERVATIONS, order_id)]
    assert kinds == ["StockBackordered"] + ["StockShortage"] * len(shortages)


async def test_a_deadline_pending_at_a_kill_fires_once_when_the_service_restarts_after_it(
    stack: Stack,
) -> None:
    env = backorder_env(wait_seconds=4)
    running = await stack.start("inventory", env=env)
    order_id, due_at, version = await backordered(stack)
    await stack.killed(running)
    assert datetime.now(UTC) < due_at, "killed after the deadline: make the wait longer"

    async def passed() -> bool:
        return datetime.now(UTC) > due_at

    await until(passed)
    # Nobody fired it meanwhile.
    assert await stack.status("inventory", "reservations", order_id) == "backordered"
    await stack.start("inventory", env=env)
    await fired_once(stack, order_id, due_at, version)


async def test_a_deadline_fires_once_from_two_instances_when_its_writer_restarts_before_it(
    stack: Stack,
) -> None:
    # Long enough for a restart, which waits for the group to drop the killed member (its
    # session timeout, 10 s). Each instance sweeps every second, so both know the deadline.
    env = backorder_env(wait_seconds=20, sweep_seconds=1)
    instances = await asyncio.gather(*(stack.start("inventory", env=env) for _ in range(2)))
    order_id, due_at, version = await backordered(stack)
    [writer] = [i for i in instances if await consumed(i, stack.topic(ORDER_LIFECYCLE))]
    await stack.killed(writer)
    await stack.start("inventory", env=env)
    # The survivor and the restarted instance both wait for it now: a race for one claim.
    assert datetime.now(UTC) < due_at - timedelta(seconds=1), "restarted too late for the race"
    await fired_once(stack, order_id, due_at, version, relays=2)


async def nothing_left_to_fire(stack: Stack) -> bool:
    """No live inventory instance's reservation poller knows of a deadline (its /metrics)."""
    live = [r for r in stack.started if r.name == "inventory" and r.process.returncode is None]
    known = [await metric(r, 'conveyor_timer_deadlines{collection="reservations"} ') for r in live]
    return bool(live) and not any(known)


async def metric(running: Running, series: str) -> float:
    """The sum of the samples of ``series`` (name and labels, as exposed) the process shows."""
    async with httpx.AsyncClient(timeout=2.0) as http:
        text = (await http.get(f"http://127.0.0.1:{running.port}/metrics")).text
    return sum(
        float(line.removeprefix(series)) for line in text.splitlines() if line.startswith(series)
    )


async def consumed(running: Running, topic: str) -> float:
    """How many messages of ``topic`` the process handled, from its /metrics."""
    return await metric(
        running, f'conveyor_messages_consumed_total{{outcome="ok",topic="{topic}"}} '
    )
