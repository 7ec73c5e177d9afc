"""The services' JSON log lines for an order run through the real mesh: every line written while
a message is handled carries the trace, span, event and order ids, and no line carries the
buyer's name, street or phone (the contracts hold no e-mail address)."""

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from doorstep_mesh import NEW_YORK, Mesh, running_mesh

from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    carrier_tracking_topic,
)
from conveyor_runtime.logs import JsonFormatter
from conveyor_testkit import Servers

NAME = "Philippa Quennell-Ashdown"
STREET = "417 Larkspur Crescent"
PHONE = "+12125550187"


class Lines(logging.Handler):
    """Formats each record when it is written, inside the handler's context, as production does."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Lines]:
    root = logging.getLogger()
    # The per-event "event handled" line is DEBUG (a line per event costs at a flash sale's
    # rate); an SRE turns it on for the consumer's logger, as here.
    consumer = logging.getLogger("conveyor_runtime.consumer")
    handler, level, consumer_level = Lines(), root.level, consumer.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    consumer.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        consumer.setLevel(consumer_level)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    async with running_mesh(servers, kafka) as running:
        yield running


async def test_handler_lines_carry_the_ids_and_no_line_the_buyer(
    mesh: Mesh, captured: Lines
) -> None:
    item = f"SKU-{uuid.uuid4().hex[:8].upper()}"
    await mesh.receive_goods(item, "WH-US-NJ1", 2)
    order = await mesh.place(
        [(item, 1)],
        ship_to={**NEW_YORK, "address_lines": [STREET]},
        recipient={"name": NAME, "phone": PHONE},
    )
    booking = await mesh.request("libertyparcel", order.order_id)
    await mesh.accept("libertyparcel", booking)
    for status in ("picked_up", "delivered"):
        await mesh.report("libertyparcel", mesh.scan(booking, status, datetime.now(UTC)))
    await mesh.until_status(order.order_id, "delivered")

    records = [json.loads(line) for line in captured.lines]
    handled = [
        record
        for record in records
        if record["message"] == "event handled" and record.get("order_id") == order.order_id
    ]
    topics = {record["topic"].removeprefix(mesh.prefix) for record in handled}
    # The order's facts as each service handled them: orders, inventory, shipping, support.
    assert {
        CHECKOUT_ORDERS.name,
        ORDER_LIFECYCLE.name,
        INVENTORY_RESERVATIONS.name,
        SHIPPING_SHIPMENTS.name,
        carrier_tracking_topic("libertyparcel").name,
    } <= topics, topics
    for record in handled:
        assert re.fullmatch(r"[0-9a-f]{32}", record["trace_id"]), record
        assert re.fullmatch(r"[0-9a-f]{16}", record["span_id"]), record
        assert uuid.UUID(record["event_id"]), record
    # The lines of the checkout topic (orders, and support's timeline) name the checkout's event.
    placed = {r["event_id"] for r in handled if r["topic"].endswith(CHECKOUT_ORDERS.name)}
    assert placed == {str(order.event_id)}

    for line in captured.lines:
        for personal in (NAME, STREET, PHONE, PHONE.removeprefix("+")):
            assert personal not in line, line
