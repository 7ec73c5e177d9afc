"""Carrier scorecards from stored shipments: each figure counted by the instant of its own fact,
over [now - 7 days, now] and [now - 30 days, now], every number worked out by hand."""

from datetime import UTC, datetime, timedelta

from conveyor_contracts.address import Contact, PostalAddress
from shipping.domain.scorecards import Figure, Scorecard, scorecards
from shipping.domain.shipment import (
    BookingRequest,
    Line,
    ReturnPickup,
    Scan,
    Shipment,
    ShipmentStatus,
)
from shipping.domain.tracking import tracked_status

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def ago(days: float) -> datetime:
    return NOW - days * DAY


def parcel(
    name: str,
    *scans: tuple[str, float],
    deliver_by: float | None = None,
    carrier: str = "swiftpost",
    returning: bool = False,
    bookings: tuple[BookingRequest, ...] = (),
) -> Shipment:
    """A shipment of ``carrier`` with ``scans`` (status, days ago) at the status they decide,
    due ``deliver_by`` days ago (negative: still to come)."""
    recorded = tuple(Scan(status, ago(days), "HUB") for status, days in scans)
    pickup = None
    if returning:
        address = PostalAddress(
            address_lines=["1 Test Street"], city="Testville", postal_code="07102", country="US"
        )
        pickup = ReturnPickup(f"rma_{name}", address, Contact(name="A Buyer"), ago(0))
    return Shipment(
        shipment_id=f"shp_{name}",
        reservation_id=None if returning else f"rsv_{name}",
        warehouse_id="WH-US-NJ1",
        lines=(Line("SKU-1", 1),),
        returning=pickup,
        status=tracked_status(recorded) or ShipmentStatus.CONFIRMED,
        carrier_code=carrier,
        deliver_by=None if deliver_by is None else ago(deliver_by),
        scans=recorded,
        bookings=bookings,
    )


# swiftpost's parcels:
PARCELS = (
    # picked up 4 days ago, delivered 2 days ago, due yesterday: on time, first attempt
    parcel("a", ("picked_up", 4), ("delivered", 2), deliver_by=1),
    # picked up 12 days ago, a failed attempt, delivered 10 days ago, due 11 days ago: late
    parcel("b", ("picked_up", 12), ("delivery_failed", 11), ("delivered", 10), deliver_by=11),
    # picked up 5 days ago, a failed attempt, delivered 3 days ago, due 2 days ago: on time,
    # not at the first attempt
    parcel("c", ("picked_up", 5), ("delivery_failed", 4), ("delivered", 3), deliver_by=2),
    # picked up 5 days ago, reported lost 4 days ago
    parcel("d", ("picked_up", 5), ("in_transit", 4.5), ("lost", 4)),
    # a return, collected 3 days ago and delivered back yesterday: a pickup, no delivery counted
    parcel("e", ("picked_up", 3), ("delivered", 1), returning=True),
    # picked up 40 and delivered 35 days ago: outside both windows
    parcel("f", ("picked_up", 40), ("delivered", 35), deliver_by=30),
    # still on its way, picked up 20 days ago (30 days only)
    parcel("g", ("picked_up", 20), ("in_transit", 19)),
)


def test_each_figure_counts_its_facts_in_each_window() -> None:
    cards = scorecards(PARCELS, ["swiftpost"], NOW)

    # 7 days: delivered a, c (both on time; c after a failed attempt); picked up a, c, d, e
    # (b was picked up 12 days ago), d lost.
    assert cards.cards["7d"]["swiftpost"] == Scorecard(
        on_time=Figure(2, 2),
        first_attempt=Figure(1, 2),
        loss=Figure(1, 4),
        decline=Figure(0, 0),
    )
    # 30 days: delivered a, b, c (b late, b and c after a failed attempt); picked up a, b, c,
    # d, e, g (f 40 days ago), d lost.
    assert cards.cards["30d"]["swiftpost"] == Scorecard(
        on_time=Figure(2, 3),
        first_attempt=Figure(1, 3),
        loss=Figure(1, 6),
        decline=Figure(0, 0),
    )
    thirty = cards.cards["30d"]["swiftpost"]
    assert (thirty.on_time.rate, thirty.first_attempt.rate, thirty.loss.rate) == (
        2 / 3,
        1 / 3,
        1 / 6,
    )
    assert thirty.decline.rate is None  # nothing asked: unknown, not 0
    assert cards.on_time("30d") == {"swiftpost": Figure(2, 3)}
    assert (cards.windows["7d"].since, cards.windows["30d"].until) == (ago(7), NOW)


def test_a_carrier_with_nothing_counted_has_every_rate_unknown() -> None:
    cards = scorecards(PARCELS, ["swiftpost", "libertyparcel"], NOW)

    idle = cards.cards["7d"]["libertyparcel"]
    assert idle == Scorecard()
    assert [f.rate for f in (idle.on_time, idle.first_attempt, idle.loss, idle.decline)] == [
        None
    ] * 4


def test_declines_and_requests_count_at_their_own_instants() -> None:
    requests = (
        # libertyparcel asked 6 days ago and declined an hour later; swiftpost then took it
        BookingRequest("libertyparcel", ago(6), ago(6) + HOUR),
        BookingRequest("swiftpost", ago(6) + HOUR),
    )
    earlier = (
        # asked 9 days ago, no answer in time (counted as declined) 8 days ago
        BookingRequest("libertyparcel", ago(9), ago(8)),
        BookingRequest("libertyparcel", ago(8)),  # then asked again, and it took it
    )
    shipments = [
        parcel("h", bookings=requests),
        parcel("i", bookings=earlier, carrier="libertyparcel"),
        parcel("j", bookings=(BookingRequest("libertyparcel", ago(2)),), carrier="libertyparcel"),
    ]

    cards = scorecards(shipments, [], NOW)

    # 7 days: libertyparcel asked 6 and 2 days ago, declined once (6 days ago): 1 / 2.
    assert cards.cards["7d"]["libertyparcel"].decline == Figure(1, 2)
    assert cards.cards["7d"]["libertyparcel"].decline.rate == 0.5
    # 30 days: asked 4 times, declined twice: 2 / 4.
    assert cards.cards["30d"]["libertyparcel"].decline == Figure(2, 4)
    assert cards.cards["30d"]["swiftpost"].decline == Figure(0, 1)
    assert cards.cards["30d"]["swiftpost"].decline.rate == 0.0  # asked once, never declined


def test_the_window_holds_both_ends_and_nothing_past_them() -> None:
    shipments = [
        parcel("k", ("picked_up", 8), ("delivered", 7), deliver_by=6),  # exactly 7 days ago
        parcel("l", ("picked_up", 31), ("delivered", 30), deliver_by=29),  # exactly 30 days
        parcel("m", ("picked_up", 32), ("delivered", 30 + 1 / 86400), deliver_by=29),  # 1 s out
    ]

    cards = scorecards(shipments, [], NOW)

    assert cards.cards["7d"]["swiftpost"].on_time == Figure(1, 1)
    assert cards.cards["30d"]["swiftpost"].on_time == Figure(2, 2)
    assert cards.cards["30d"]["swiftpost"].loss == Figure(0, 1)  # k's pickup only (l's is 31)


def test_a_delivery_is_late_only_after_its_deadline_and_a_failure_after_it_does_not_count() -> None:
    at_deadline = parcel("n", ("picked_up", 3), ("delivered", 2), deliver_by=2)
    late_by_a_second = parcel("o", ("picked_up", 3), ("delivered", 2), deliver_by=2 + 1 / 86400)
    # a failed-attempt scan the carrier dated after the delivery (a stray upload)
    failure_after = parcel("p", ("picked_up", 3), ("delivered", 2), ("delivery_failed", 1))

    cards = scorecards([at_deadline, late_by_a_second, failure_after], [], NOW)

    assert cards.cards["7d"]["swiftpost"].on_time == Figure(2, 3)  # n on time, o late, p none due
    assert cards.cards["7d"]["swiftpost"].first_attempt == Figure(3, 3)


def test_a_parcel_lost_then_found_counts_as_lost_and_as_delivered() -> None:
    found = parcel("q", ("picked_up", 6), ("lost", 5), ("delivered", 3), deliver_by=4)
    lost_twice = parcel("r", ("picked_up", 6), ("lost", 5), ("lost", 4))

    cards = scorecards([found, lost_twice], [], NOW)

    card = cards.cards["7d"]["swiftpost"]
    assert (card.loss, card.on_time, card.first_attempt) == (
        Figure(2, 2),  # each reported lost once
        Figure(0, 1),  # found a day after its deadline
        Figure(1, 1),
    )


def test_a_booking_stored_before_requests_were_kept_counts_its_tracking_only() -> None:
    old = parcel("s", ("picked_up", 2), ("delivered", 1), deliver_by=0)  # no bookings kept

    cards = scorecards([old], [], NOW)

    assert cards.cards["7d"]["swiftpost"] == Scorecard(
        on_time=Figure(1, 1), first_attempt=Figure(1, 1), loss=Figure(0, 1), decline=Figure(0, 0)
    )


def test_a_fact_the_carrier_dates_after_now_counts_in_the_current_windows() -> None:
    """Shipping knows it happened: a carrier clock ahead of ours must not hide a delivery (the
    simulated carriers date scans in accelerated time, hours to days ahead)."""
    ahead = parcel("ahead", ("picked_up", -0.1), ("delivered", -0.5), deliver_by=-1)
    late = parcel("late", ("picked_up", -0.1), ("delivered", -12), deliver_by=-1)

    week = scorecards([ahead, late], [], NOW).cards["7d"]["swiftpost"]

    assert week.on_time == Figure(1, 2)
    assert week.first_attempt == Figure(2, 2)
