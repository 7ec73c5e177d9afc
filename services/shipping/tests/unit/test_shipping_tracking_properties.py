"""Property: a parcel's scans, duplicated (same message again, or re-sent under a new id),
delayed and reordered, end where the same scans end applied in time order; the parcel never goes
back; and nothing is told that the scans in time order would not tell, nor out of their order."""

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from shipping_testkit import World, accepted, carrier_accepts, reserved, scan, world
from test_shipping_tracking_faults import StoredLikeMongo

from conveyor_contracts.carriers.tracking import TrackingScanRecorded
from conveyor_contracts.topics import SHIPPING_SHIPMENTS
from shipping.domain.shipment import Shipment, ShipmentStatus
from shipping.domain.tracking import deciding_scan
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)

ORDER = "ord_01J9Z3K8M4QH2V"
CARRIER = "libertyparcel"
ENDS = (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER)

# What a carrier's handheld can say between pickup and the end; then how a journey can end
# (none yet, or a parcel declared lost that is found and delivered or returned after all).
ON_THE_WAY = ("in_transit", "out_for_delivery", "delivery_failed", "exception")
ENDINGS = ((), ("delivered",), ("returned_to_sender",), ("lost",), ("lost", "delivered"),
           ("lost", "returned_to_sender"))  # fmt: skip


@st.composite
def journeys(draw: st.DrawFn) -> list[tuple[str, timedelta]]:
    """A parcel's scans as they happened: statuses in a plausible order, strictly later times
    (with microseconds, as carriers' clocks have them)."""
    statuses = ["picked_up"] if draw(st.booleans()) else []
    statuses += draw(st.lists(st.sampled_from(ON_THE_WAY), max_size=6))
    statuses += draw(st.sampled_from(ENDINGS))
    offsets, at = [], timedelta(minutes=30)
    for _ in statuses:
        at += timedelta(seconds=draw(st.integers(1, 2 * 86_400)),
                        microseconds=draw(st.integers(0, 999_999)))  # fmt: skip
        offsets.append(at)
    return list(zip(statuses, offsets, strict=True))


@st.composite
def arrivals(draw: st.DrawFn, size: int) -> list[tuple[int, str]]:
    """Which scan arrives when: every scan once, in any order, some again later, either as the
    same message (a redelivery) or as a new one (the carrier re-sends it)."""
    order: list[tuple[int, str]] = [(n, "first") for n in draw(st.permutations(range(size)))]
    if size:
        for _ in range(draw(st.integers(0, size))):
            again = draw(st.integers(0, size - 1))
            first_at = order.index((again, "first"))
            position = draw(st.integers(first_at + 1, len(order)))
            order.insert(position, (again, draw(st.sampled_from(("redelivered", "re-sent")))))
    return order


@dataclass
class Run:
    w: World
    shipment_id: str
    start: datetime


async def confirmed(w: World) -> Run:
    start = w.clock.now
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    shipment_id = fulfilment.shipments[0].shipment_id
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shipment_id), CARRIER, w.shipping
    )
    w.fulfilments.published.clear()  # what the scans tell, from here on
    return Run(w, shipment_id, start)


async def shipment_of(run: Run) -> Shipment:
    fulfilment = await run.w.fulfilments.get(ORDER)
    assert fulfilment is not None
    found = fulfilment.shipment(run.shipment_id)
    assert found is not None
    return found


def told(w: World) -> list[tuple[str, ...]]:
    """The shipment facts told, each as (type, scan time to the millisecond) where it has one.
    (A recall is a command to the carrier, sent when the failures are known: it is checked on
    the shipment, not for its place among the facts.)"""
    out: list[tuple[str, ...]] = []
    for topic, message in w.published():
        if topic != SHIPPING_SHIPMENTS.name:
            continue
        at = getattr(message, "scanned_at", None)
        out.append((message.event_type,) if at is None else (message.event_type, _ms(at)))
    return out


def _ms(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def is_subsequence(part: list[tuple[str, ...]], whole: list[tuple[str, ...]]) -> bool:
    remaining = iter(whole)
    return all(item in remaining for item in part)


async def replay(journey: list[tuple[str, timedelta]], order: list[tuple[int, str]]) -> None:
    # The parcel as told in time order: the reference.
    sorted_run = await confirmed(world(max_delivery_attempts=2))
    for status, offset in journey:
        report = scan(ORDER, sorted_run.shipment_id, status, sorted_run.start + offset)
        await follow_shipment_on_carrier_report(report, CARRIER, sorted_run.w.shipping)
    reference = await shipment_of(sorted_run)

    # The same scans as they arrive, through a store that keeps what the database keeps.
    w = world(max_delivery_attempts=2)
    stored = StoredLikeMongo()
    w.shipping, w.fulfilments = replace(w.shipping, fulfilments=stored), stored
    run = await confirmed(w)
    sent: dict[int, TrackingScanRecorded] = {}
    reached_end: ShipmentStatus | None = None
    deciding_at = None
    for index, how in order:
        status, offset = journey[index]
        if how == "redelivered":
            report = sent[index]
        else:
            report = sent[index] = scan(ORDER, run.shipment_id, status, run.start + offset)
        await follow_shipment_on_carrier_report(report, CARRIER, w.shipping)
        now = await shipment_of(run)
        # Never back: an end stays, and what decides the status only moves later in time.
        if reached_end is not None:
            assert now.status is reached_end
        elif now.status in ENDS:
            reached_end = now.status
        deciding = deciding_scan(now.scans)
        if deciding is not None:
            assert deciding_at is None or deciding.scanned_at >= deciding_at
            deciding_at = deciding.scanned_at

    final = await shipment_of(run)
    assert final.status is reference.status
    assert {s.identity for s in final.scans} == {s.identity for s in reference.scans}
    assert final.sla_breached == reference.sla_breached
    assert not final.recall_requested or reference.recall_requested
    told_as_arrived, told_in_order = told(w), told(sorted_run.w)
    assert len(set(told_as_arrived)) == len(told_as_arrived), "something was told twice"
    assert is_subsequence(told_as_arrived, told_in_order), (told_as_arrived, told_in_order)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_scans_in_any_order_and_repeated_end_as_the_scans_in_time_order(
    data: st.DataObject,
) -> None:
    journey = data.draw(journeys(), label="journey")
    order = data.draw(arrivals(len(journey)), label="arrival")
    asyncio.run(replay(journey, order))
