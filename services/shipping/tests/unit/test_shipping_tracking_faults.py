"""Carrier reports under faults: late, re-sent and foreign scans, and carrier slots given back."""

import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import bson
import pytest
from bson.codec_options import CodecOptions
from shipping_testkit import World, accepted, carrier_accepts, reserved, scan, world

from conveyor_contracts.carriers.tracking import ShipmentDeclined
from conveyor_runtime.outlet import Cause
from conveyor_testkit import from_example
from shipping.adapters.memory import MemoryCarrierCapacity, MemoryFulfilments
from shipping.adapters.mongo_fulfilments import from_document, to_document
from shipping.domain.shipment import Fulfilment, ShipmentStatus
from shipping.ports import Change
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)

ORDER = "ord_01J9Z3K8M4QH2V"
CARRIER = "libertyparcel"  # the cheapest for New York from New Jersey: the one first asked


async def confirmed(w: World) -> str:
    """Run an order to a confirmed booking with the first carrier; its shipment id."""
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    [shipment] = fulfilment.shipments
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shipment.shipment_id), CARRIER, w.shipping
    )
    return shipment.shipment_id


async def report(w: World, shipment_id: str, status: str, hours: float, **fields: Any) -> None:
    at = w.clock.now + timedelta(hours=hours)
    await follow_shipment_on_carrier_report(
        scan(ORDER, shipment_id, status, at, **fields), CARRIER, w.shipping
    )


async def status_of(w: World, shipment_id: str) -> ShipmentStatus:
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    shipment = fulfilment.shipment(shipment_id)
    assert shipment is not None
    return shipment.status


async def test_a_late_lost_scan_dated_before_the_delivery_leaves_the_parcel_delivered() -> None:
    w = world()
    shp = await confirmed(w)
    await report(w, shp, "picked_up", 1)
    await report(w, shp, "delivered", 5)
    await report(w, shp, "lost", 3)  # uploaded late from a handheld: the parcel was found

    assert await status_of(w, shp) is ShipmentStatus.DELIVERED
    assert "ShipmentLost" not in w.types("shipments")


async def test_a_parcel_lost_then_found_and_delivered_ends_delivered_in_time_order() -> None:
    w = world()
    shp = await confirmed(w)
    for status, hours in (("picked_up", 1), ("lost", 3), ("delivered", 5)):
        await report(w, shp, status, hours)
    assert await status_of(w, shp) is ShipmentStatus.DELIVERED
    assert w.types("shipments")[-2:] == ["ShipmentLost", "ShipmentDelivered"]


async def test_scans_older_than_the_latest_are_kept_but_not_published_again() -> None:
    w = world()
    shp = await confirmed(w)
    await report(w, shp, "picked_up", 1)
    await report(w, shp, "delivered", 5)
    await report(w, shp, "out_for_delivery", 4)
    await report(w, shp, "in_transit", 2)

    assert w.types("shipments")[-2:] == ["ShipmentDispatched", "ShipmentDelivered"]
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    assert len(fulfilment.shipments[0].scans) == 4  # history for the read API and support


class StoredLikeMongo(MemoryFulfilments):
    """Keeps each fulfilment as the database gives it back: through the Mongo adapter's encoding
    and BSON, whose datetimes hold milliseconds."""

    async def update(self, order_id: str, change: Change, cause: Cause) -> Fulfilment | None:
        after = await super().update(order_id, change, cause)
        if after is not None:
            self.fulfilments[order_id] = _round_trip(after)
        return self.fulfilments.get(order_id)

    async def upsert(
        self, order_id: str, change: Change, new: Fulfilment, cause: Cause
    ) -> Fulfilment:
        await super().upsert(order_id, change, new, cause)
        if order_id in self.fulfilments:
            self.fulfilments[order_id] = _round_trip(self.fulfilments[order_id])
        return self.fulfilments.get(order_id, new)


def _round_trip(fulfilment: Fulfilment) -> Fulfilment:
    encoded = bson.encode(to_document(fulfilment, timedelta(hours=48), timedelta(days=90)))
    return from_document(bson.decode(encoded, codec_options=CodecOptions(tz_aware=True)))


async def test_a_scan_re_sent_under_a_new_event_id_is_stored_and_published_once() -> None:
    w = world()
    stored = StoredLikeMongo()
    w.shipping, w.fulfilments = replace(w.shipping, fulfilments=stored), stored
    shp = await confirmed(w)
    await report(w, shp, "picked_up", 1)
    # A carrier's clock keeps microseconds; the stored scan only milliseconds.
    for _ in range(2):
        await report(w, shp, "in_transit", 2.000123456, location_code="LIB-HUB2")

    assert w.types("shipments").count("ShipmentInTransit") == 1
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    assert [s.status for s in fulfilment.shipments[0].scans] == ["picked_up", "in_transit"]


async def test_a_report_from_a_carrier_not_holding_the_shipment_is_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counted: list[str] = []
    w = world()
    w.shipping = replace(w.shipping, count_foreign_report=counted.append)
    shp = await confirmed(w)
    stray = scan(ORDER, shp, "in_transit", w.clock.now + timedelta(hours=2))
    with caplog.at_level(logging.INFO, logger="shipping"):
        await follow_shipment_on_carrier_report(stray, "swiftpost", w.shipping)
        await follow_shipment_on_carrier_report(stray, "swiftpost", w.shipping)  # redelivered

    assert counted == ["swiftpost"]
    [line] = [r for r in caplog.records if "not holding the shipment" in r.getMessage()]
    assert (line.carrier, line.event_type, line.shipment_id) == (  # type: ignore[attr-defined]
        "swiftpost",
        "TrackingScanRecorded",
        shp,
    )
    assert await status_of(w, shp) is ShipmentStatus.CONFIRMED
    assert w.types("shipments")[-1] == "ShipmentConfirmed"


def claimed(w: World, carrier: str) -> set[str]:
    capacity = w.shipping.capacity
    assert isinstance(capacity, MemoryCarrierCapacity)
    return capacity.claims.get((carrier, w.clock.now.date()), set())


async def test_a_declined_booking_gives_the_carriers_slot_back() -> None:
    w = world()
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    shp = fulfilment.shipments[0].shipment_id
    assert claimed(w, CARRIER) == {shp}

    decline = from_example(ShipmentDeclined, order_id=ORDER, correlation_id=ORDER, shipment_id=shp)
    await follow_shipment_on_carrier_report(decline, CARRIER, w.shipping)

    assert claimed(w, CARRIER) == set()
    assert claimed(w, "swiftpost") == {shp}  # the next carrier asked holds one now


class BookedMeanwhile(MemoryCarrierCapacity):
    """While a claim is made, another instance books the shipment with another carrier."""

    def __init__(self, w: World) -> None:
        super().__init__()
        self.w = w

    async def claim(self, carrier_code: str, day: date, shipment_id: str, limit: int) -> bool:
        granted = await super().claim(carrier_code, day, shipment_id, limit)
        fulfilment = self.w.fulfilments.fulfilments[ORDER]
        shipment = fulfilment.shipment(shipment_id)
        assert shipment is not None
        self.w.fulfilments.fulfilments[ORDER] = fulfilment.with_shipment(
            replace(
                shipment,
                status=ShipmentStatus.BOOKING_REQUESTED,
                carrier_code="swiftpost",
                carriers_tried=("swiftpost",),
                booked_at=self.w.clock.now,
            )
        )
        await super().claim("swiftpost", day, shipment_id, limit)
        return granted


async def test_a_booking_lost_to_a_race_gives_its_slot_back_and_keeps_the_winners() -> None:
    w = world()
    w.shipping = replace(w.shipping, capacity=BookedMeanwhile(w))
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)  # waits for the order
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    [shipment] = fulfilment.shipments
    assert (shipment.carrier_code, shipment.status) == ("swiftpost", "booking_requested")
    assert claimed(w, CARRIER) == set()
    assert claimed(w, "swiftpost") == {shipment.shipment_id}
    await book_waiting_shipments(ORDER, w.shipping)  # nothing waits: nothing claimed or freed
    assert claimed(w, "swiftpost") == {shipment.shipment_id}
