"""Property: the facts of an order's life, redelivered, delayed and reordered, leave the order
where the same facts in time order (their ``occurred_at``) leave it; the order never moves back;
and the buyer is told no status the facts in time order would not tell, nor out of their order.

What cannot be asked of any rule, since it would need the facts still to come: in any order at
all, a parcel's retry (out for delivery after a failed attempt, which in time order tells
nothing) may arrive before the failure and be told; and a split order told late about one
parcel is meanwhile as far as its least advanced parcel *as known* ("out for delivery" while
the other parcel's delivery is on its way), which the facts in time order may skip. So in any
order the statuses told go forward only and end where the facts in time order end; in the
order Kafka keeps, a single parcel's statuses told are also ones the facts in time order tell.

Two kinds of arrival: any order at all (for journeys without a reshipment), and the order
Kafka allows (each topic's facts of one order in their order, topics interleaved freely, any
message again later), for every journey, reshipments and their shortages included.
"""

import asyncio
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from orders_testkit import TOPICS, event
from pydantic import BaseModel

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockBackordered, StockReserved, StockShortage
from conveyor_contracts.orders import ORDER_LIFECYCLE_EVENTS, ORDER_STATUS_EVENTS
from conveyor_contracts.shipping.booking import (
    ShipmentBooked,
    ShipmentBookingFailed,
    ShipmentConfirmed,
    ShipmentRebooked,
)
from conveyor_contracts.shipping.tracking import (
    DeliveryAttemptFailed,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentInTransit,
    ShipmentLost,
    ShipmentReturnedToSender,
)
from conveyor_contracts.support import RefundRequested, ReturnAuthorised
from orders.adapters.memory_orders import MemoryOrders
from orders.domain.order import PUBLIC_STATUS, Order, OrderStatus
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed
from orders.usecases.progress_order_on_after_sales import progress_order_on_after_sales
from orders.usecases.progress_order_on_reservation import progress_order_on_reservation
from orders.usecases.progress_order_on_shipment import progress_order_on_shipment

ORDER = "ord_01J9ZPROP001"
START = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
OWN = "rsv_own0000001"
RESHIPPED = "rsv_reshipped01"
CARRIERS = ("swiftpost", "libertyparcel")
WAREHOUSES = ("WH-US-NJ1", "WH-US-CA1")

# How one parcel's run can end: delivered, lost, returned to sender, or not yet.
ENDINGS = ("delivered", "lost", "returned_to_sender", None)


@dataclass(frozen=True)
class Fact:
    """One fact of the order's life and the topic (stream) it comes on."""

    stream: str  # "reservations", "shipments" or "support"
    event: BaseModel


class Timeline:
    """Builds facts with strictly increasing occurrence times, in the order they happen."""

    def __init__(self, gaps: list[int]) -> None:
        self.gaps, self.at, self.facts = iter(gaps), START, []

    def add(self, stream: str, model: type[BaseModel], **fields: Any) -> None:
        self.at += timedelta(seconds=next(self.gaps, 1))
        fact = event(model, ORDER, occurred_at=self.at.isoformat(), **fields)
        self.facts.append(Fact(stream, fact))


def parcel_run(
    timeline: Timeline, shipment_id: str, reservation_id: str, warehouse: str, draw: st.DrawFn
) -> str | None:
    """One parcel from booking to its end; how it ended."""
    carrier = draw(st.sampled_from(CARRIERS))
    parcel = {"shipment_id": shipment_id}
    timeline.add("shipments", ShipmentBooked, **parcel, carrier_code=carrier,
                 reservation_id=reservation_id, warehouse_id=warehouse)  # fmt: skip
    if draw(st.booleans()):
        other = next(c for c in CARRIERS if c != carrier)
        if draw(st.integers(0, 4)) == 0:  # nobody takes it: the order is cancelled
            timeline.add("shipments", ShipmentBookingFailed, **parcel)
            return "failed"
        timeline.add("shipments", ShipmentRebooked, **parcel, carrier_code=other,
                     previous_carrier_code=carrier)  # fmt: skip
        carrier = other
    tracking = f"{carrier[:2].upper()}{zlib.crc32(shipment_id.encode()):010d}"
    timeline.add("shipments", ShipmentConfirmed, **parcel, direction="outbound",
                 carrier_code=carrier, tracking_number=tracking)  # fmt: skip
    if draw(st.booleans()):
        return None  # still waiting for its pickup
    timeline.add("shipments", ShipmentDispatched, **parcel, carrier_code=carrier,
                 tracking_number=tracking, reservation_id=reservation_id,
                 warehouse_id=warehouse)  # fmt: skip
    on_the_way = draw(st.lists(st.sampled_from(("in_transit", "out_for_delivery", "failed")),
                               max_size=4))  # fmt: skip
    for stage in on_the_way:
        if stage == "failed":
            timeline.add("shipments", DeliveryAttemptFailed, **parcel, direction="outbound")
        else:
            timeline.add("shipments", ShipmentInTransit, **parcel, direction="outbound",
                         stage=stage)  # fmt: skip
    ending = draw(st.sampled_from(ENDINGS))
    model = {"delivered": ShipmentDelivered, "lost": ShipmentLost,
             "returned_to_sender": ShipmentReturnedToSender}.get(ending or "")  # fmt: skip
    if model is not None:
        timeline.add("shipments", model, **parcel, direction="outbound")
    return ending


@st.composite
def journeys(draw: st.DrawFn, reshipments: bool) -> list[Fact]:
    """An order's facts in the order they happened (after its placement)."""
    timeline = Timeline(draw(st.lists(st.integers(1, 86_400), min_size=60, max_size=60)))
    if draw(st.integers(0, 5)) == 0:
        timeline.add("reservations", StockBackordered)
        if draw(st.booleans()):
            timeline.add("reservations", StockShortage)  # the backorder expired
            return timeline.facts
    parcels = draw(st.integers(1, 2))
    allocations = [{"warehouse_id": w, "lines": [{"sku": f"SKU-{n}", "quantity": 1}]}
                   for n, w in enumerate(WAREHOUSES[:parcels])]  # fmt: skip
    timeline.add("reservations", StockReserved, reservation_id=OWN, allocations=allocations,
                 case_id=None)  # fmt: skip
    endings = [
        parcel_run(timeline, f"shp_own{n:09d}", OWN, allocation["warehouse_id"], draw)
        for n, allocation in enumerate(allocations)
    ]
    if "failed" in endings:
        return timeline.facts
    reshipped = None
    if reshipments and "lost" in endings and draw(st.booleans()):
        # Support approved a reshipment of the lost parcel's lines: inventory covers it or not.
        if draw(st.integers(0, 3)) == 0:
            timeline.add("reservations", StockShortage)
        else:
            timeline.add("reservations", StockReserved, reservation_id=RESHIPPED,
                         allocations=allocations[:1], case_id="case_01J9ZPROP001")  # fmt: skip
            reshipped = parcel_run(timeline, "shp_again000001", RESHIPPED, WAREHOUSES[0], draw)
    delivered = all(e == "delivered" or (e == "lost" and reshipped == "delivered")
                    for e in endings)  # fmt: skip
    if delivered and draw(st.booleans()):
        # After-sales, once the order is delivered: a return, its arrival, its refund.
        timeline.add("support", ReturnAuthorised)
        if draw(st.booleans()):
            timeline.add("shipments", ShipmentDelivered, shipment_id="shp_return00001",
                         direction="return")  # fmt: skip
            if draw(st.booleans()):
                timeline.add("support", RefundRequested)
    return timeline.facts


@st.composite
def any_order(draw: st.DrawFn, facts: list[Fact]) -> list[Fact]:
    """Every fact once in any order, some again later (redelivered: the same message)."""
    return with_redeliveries(draw, list(draw(st.permutations(facts))))


@st.composite
def kafka_order(draw: st.DrawFn, facts: list[Fact]) -> list[Fact]:
    """Each stream's facts in their order, the streams interleaved as their consumers lag:
    each stream is late by its own number of facts, growing as it goes."""
    lag = {name: draw(st.integers(0, len(facts))) for name in ("reservations", "shipments",
           "support")}  # fmt: skip
    keyed = []
    for index, fact in enumerate(facts):
        lag[fact.stream] += draw(st.integers(0, 2))
        keyed.append((index + lag[fact.stream], draw(st.integers(0, 9)), index, fact))
    return with_redeliveries(draw, [fact for *_, fact in sorted(keyed, key=lambda k: k[:3])])


def with_redeliveries(draw: st.DrawFn, arrival: list[Fact]) -> list[Fact]:
    for _ in range(draw(st.integers(0, 4)) if arrival else 0):
        again = draw(st.integers(0, len(arrival) - 1))
        arrival.insert(draw(st.integers(again + 1, len(arrival))), arrival[again])
    return arrival


async def apply(orders: MemoryOrders, fact: Fact) -> None:
    if fact.stream == "reservations":
        await progress_order_on_reservation(fact.event, orders)  # type: ignore[arg-type]
    elif fact.stream == "shipments":
        await progress_order_on_shipment(fact.event, orders)  # type: ignore[arg-type]
    else:
        await progress_order_on_after_sales(fact.event, orders)  # type: ignore[arg-type]


def told(orders: MemoryOrders) -> list[str]:
    """The statuses told to the buyer, and the lifecycle facts told to the services."""
    out = []
    for message in orders.outboxes[ORDER]:
        if message.topic == TOPICS.order_status:
            out.append(ORDER_STATUS_EVENTS.validate_json(message.payload).status)
        else:
            out.append(ORDER_LIFECYCLE_EVENTS.validate_json(message.payload).event_type)
    return [item for n, item in enumerate(out) if n == 0 or out[n - 1] != item]


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(item in remaining for item in part)


def buyer_view(order: Order) -> tuple[OrderStatus, set[tuple[str | None, str | None]]]:
    return order.status, {(p.carrier_code, p.tracking_number) for p in order.parcels}


async def replay(facts: list[Fact], arrival: list[Fact], *, kafka_order: bool) -> None:
    placed = event(OrderPlaced, ORDER, occurred_at=START.isoformat())
    in_time_order, as_arrived = MemoryOrders(), MemoryOrders()
    for orders in (in_time_order, as_arrived):
        await accept_order_on_order_placed(placed, orders)
    for fact in sorted(facts, key=lambda f: f.event.occurred_at):  # type: ignore[attr-defined]
        await apply(in_time_order, fact)
    status = OrderStatus.ACCEPTED
    for fact in arrival:
        await apply(as_arrived, fact)
        now = as_arrived.orders[ORDER].status
        assert now >= status, f"moved back from {status.label} to {now.label}"
        status = now

    reference, final = in_time_order.orders[ORDER], as_arrived.orders[ORDER]
    assert final.status is reference.status
    if kafka_order:
        assert buyer_view(final) == buyer_view(reference)
    told_as_arrived, told_in_order = told(as_arrived), told(in_time_order)
    assert told_as_arrived[-1] == told_in_order[-1]
    statuses = [RANK[item] for item in told_as_arrived if item in RANK]
    assert statuses == sorted(set(statuses)), told_as_arrived  # forward only, each once
    if kafka_order and len(reference.parcels) < 2:
        assert is_subsequence(told_as_arrived, told_in_order), (told_as_arrived, told_in_order)


# A public status's place in the order's progress (the lowest internal status shown as it).
RANK = {label: min(s for s, shown in PUBLIC_STATUS.items() if shown == label)
        for label in PUBLIC_STATUS.values()}  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_facts_in_any_order_end_where_the_facts_in_time_order_end(data: st.DataObject) -> None:
    facts = data.draw(journeys(reshipments=False), label="journey")
    arrival = data.draw(any_order(facts), label="arrival")
    # In any order at all a re-booking's confirmation may precede the re-booking, so which
    # tracking number the buyer ends with is only compared in the order Kafka keeps.
    asyncio.run(replay(facts, arrival, kafka_order=False))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_facts_as_kafka_delivers_them_end_where_the_facts_in_time_order_end(
    data: st.DataObject,
) -> None:
    facts = data.draw(journeys(reshipments=True), label="journey")
    arrival = data.draw(kafka_order(facts), label="arrival")
    asyncio.run(replay(facts, arrival, kafka_order=True))
