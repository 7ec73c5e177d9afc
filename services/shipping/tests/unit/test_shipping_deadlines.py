"""A shipment's deadlines, one rule per status: when each is due, and what its passing makes of
the shipment. The timer's use case and the due date stored for the poller read the same rules."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shipping_testkit import NEW_YORK

from conveyor_contracts.address import Contact, PostalAddress
from shipping.domain.deadlines import (
    Deadline,
    after_deadline,
    deadlines,
    next_due,
    passed_deadlines,
)
from shipping.domain.shipment import (
    RESUME_BOOKING_AFTER,
    Fulfilment,
    Line,
    OrderDetails,
    ReturnPickup,
    Scan,
    Shipment,
    ShipmentStatus,
)

T0 = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
SILENCE = timedelta(hours=48)
HOUR = timedelta(hours=1)
DETAILS = OrderDetails(
    market="US",
    currency="USD",
    service_level="standard",
    ship_to=PostalAddress.model_validate(NEW_YORK),
    recipient=Contact(name="Ada Lovelace"),
    unit_prices={"SKU-0": 1000},
    accepted_at=T0,
)


def a_shipment(status: ShipmentStatus, shipment_id: str = "shp_a", **fields: Any) -> Shipment:
    shipment = Shipment(shipment_id, "rsv_1", "WH-US-NJ1", (Line("SKU-0", 1),), status=status)
    return replace(shipment, carrier_code="libertyparcel", **fields)


def an_order(*shipments: Shipment, **fields: Any) -> Fulfilment:
    return replace(Fulfilment("ord_1", "ord_1", DETAILS, shipments=shipments), **fields)


def on_the_way(**fields: Any) -> Shipment:
    scans = (Scan("picked_up", T0, "NJ1"), Scan("in_transit", T0 + HOUR, "NJ2"))
    return a_shipment(ShipmentStatus.IN_TRANSIT, scans=scans, **fields)


def test_a_booking_asked_is_due_by_the_carriers_answer_and_let_go_as_declined_once_passed() -> None:
    asked = a_shipment(ShipmentStatus.BOOKING_REQUESTED, accept_by=T0 + HOUR)
    order = an_order(asked)
    assert deadlines(order, asked, SILENCE) == [Deadline("accept_by", T0 + HOUR)]
    assert passed_deadlines(order, asked, SILENCE, T0) == []
    [passed] = passed_deadlines(order, asked, SILENCE, T0 + HOUR)
    let_go = after_deadline(asked, passed, "cause-1", T0 + 2 * HOUR)
    assert let_go.status is ShipmentStatus.AWAITING_CARRIER
    assert (let_go.rebook_reason, let_go.cause, let_go.awaiting_since) == (
        "carrier_declined",
        "cause-1",
        T0 + 2 * HOUR,
    )
    assert let_go.carrier_code == "libertyparcel"  # the carrier still to tell it is let go


def test_a_confirmed_booking_is_due_by_its_pickup_and_let_go_as_missed_once_passed() -> None:
    confirmed = a_shipment(ShipmentStatus.CONFIRMED, pickup_by=T0 + HOUR)
    [passed] = passed_deadlines(an_order(confirmed), confirmed, SILENCE, T0 + HOUR)
    assert passed == Deadline("pickup_by", T0 + HOUR)
    assert after_deadline(confirmed, passed, "c", T0).rebook_reason == "pickup_missed"


def test_a_parcel_on_its_way_is_due_by_its_promise_and_when_its_carrier_has_been_silent() -> None:
    parcel = on_the_way(deliver_by=T0 + 10 * HOUR)
    order = an_order(parcel)
    promise, silence = deadlines(order, parcel, SILENCE)
    assert (promise.kind, promise.due) == ("deliver_by", T0 + 10 * HOUR)
    assert (silence.kind, silence.anchor, silence.due) == (
        "silence",
        T0 + HOUR,
        T0 + HOUR + SILENCE,
    )
    assert next_due(order, SILENCE) == T0 + 10 * HOUR
    late = after_deadline(parcel, promise, "c", T0 + 11 * HOUR)
    assert late.sla_breached
    assert [d.kind for d in deadlines(an_order(late), late, SILENCE)] == ["silence"]


def test_silence_is_counted_again_from_its_last_report() -> None:
    parcel = on_the_way()
    [silence] = passed_deadlines(an_order(parcel), parcel, SILENCE, T0 + HOUR + SILENCE)
    reported = after_deadline(parcel, silence, "c", T0 + 50 * HOUR)
    assert reported.silence_reported_at == T0 + 50 * HOUR
    assert next_due(an_order(reported), SILENCE) == T0 + 50 * HOUR + SILENCE


def test_a_return_on_its_way_has_no_delivery_promise_only_its_carriers_silence() -> None:
    pickup = ReturnPickup(
        "rma_1", PostalAddress.model_validate(NEW_YORK), Contact(name="Ada"), T0 + 24 * HOUR
    )
    parcel = on_the_way(deliver_by=T0 + 10 * HOUR, returning=pickup)
    assert [d.kind for d in deadlines(an_order(parcel), parcel, SILENCE)] == ["silence"]


def test_an_interrupted_booking_is_due_again_shortly_unless_the_order_cannot_be_booked() -> None:
    waiting = a_shipment(ShipmentStatus.AWAITING_CARRIER, awaiting_since=T0 + HOUR)
    order = an_order(waiting)
    [resume] = deadlines(order, waiting, SILENCE)
    assert (resume.kind, resume.due) == ("resume_booking", T0 + HOUR + RESUME_BOOKING_AFTER)
    assert after_deadline(waiting, resume, "c", T0 + 2 * HOUR) == waiting  # booking resumes it
    since_accepted = replace(waiting, awaiting_since=None)
    assert next_due(an_order(since_accepted), SILENCE) == T0 + RESUME_BOOKING_AFTER
    assert next_due(an_order(waiting, cancelled=True), SILENCE) is None
    assert next_due(an_order(waiting, details=None), SILENCE) is None


def test_a_parcel_at_an_end_and_a_booking_without_its_deadline_are_never_due() -> None:
    ends = [
        a_shipment(status, f"shp_{status}")
        for status in ShipmentStatus
        if status.final or status in (ShipmentStatus.BOOKING_REQUESTED, ShipmentStatus.CONFIRMED)
    ]
    assert next_due(an_order(*ends), SILENCE) is None


def test_the_order_is_due_at_the_earliest_deadline_of_any_of_its_parcels() -> None:
    confirmed = a_shipment(ShipmentStatus.CONFIRMED, "shp_b", pickup_by=T0 + 5 * HOUR)
    asked = a_shipment(ShipmentStatus.BOOKING_REQUESTED, "shp_c", accept_by=T0 + 3 * HOUR)
    parcel = on_the_way(deliver_by=T0 + 9 * HOUR)
    assert next_due(an_order(parcel, confirmed, asked), SILENCE) == T0 + 3 * HOUR
