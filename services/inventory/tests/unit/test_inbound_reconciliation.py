"""An inbound shipment (ASN) reconciled against its receipts, by hand: complete at the receipt
that brings the last announced unit, short when the grace (business days of the warehouse's
market) runs out or the warehouse says its receiving is done, over and unexpected SKUs told
once each, late once, redeliveries and receipts after the end changing nothing."""

from datetime import UTC, date, datetime, timedelta

from conveyor_contracts.business_days import BusinessCalendar
from inventory.domain.events import InboundAnnounced, InboundDiscrepancy, InboundReconciled
from inventory.domain.inbound import (
    Asn,
    Invalid,
    announce,
    announcement_problems,
    asn_id_for,
    close,
    grace_ends,
    receive,
    receiving_done,
)
from inventory.domain.warehouses import Warehouse

CALENDAR = BusinessCalendar()  # weekends and the national holidays of 2026-2027
NJ1 = Warehouse("WH-US-NJ1", "US", 1)
SELLER = "sel_ACME0001"
ARRIVAL = date(2026, 12, 8)  # a Tuesday
# Arrival Tuesday 8 December + 2 business days: Thursday 10th, its end in New York (EST, UTC-5).
CLOSES = datetime(2026, 12, 11, 4, 59, 59, tzinfo=UTC)
ON_TIME = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 10:00 in New York on the expected day


def asn(*lines: tuple[str, int]) -> Asn:
    shipment, _ = announce(
        "asn_TEST0001",
        SELLER,
        NJ1,
        ARRIVAL,
        lines,
        "PO-1",
        now=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
        closes_at=grace_ends(CALENDAR, "US", ARRIVAL, 2),
    )
    return shipment


def got(shipment: Asn, sku: str, units: int, ref: str, at: datetime = ON_TIME) -> Asn:
    after, events = receive(shipment, sku, units, ref, at, CALENDAR)
    assert events == [], events
    return after


def told(shipment: Asn, *kinds: str) -> list[tuple[str, str | None, int | None, int | None]]:
    return [
        (d.kind, d.sku, d.expected, d.received) for d in shipment.discrepancies if d.kind in kinds
    ]


def test_the_announcement_is_told_with_its_lines_and_its_grace_end() -> None:
    shipment, events = announce(
        "asn_TEST0001", SELLER, NJ1, ARRIVAL, (("TEE-BLK-M", 480),), "PO-1", now=ON_TIME,
        closes_at=CLOSES,
    )  # fmt: skip
    assert events == [
        InboundAnnounced("asn_TEST0001", SELLER, "WH-US-NJ1", ARRIVAL, (("TEE-BLK-M", 480),))
    ]
    assert (shipment.status, shipment.due_at, shipment.market) == ("open", CLOSES, "US")
    assert asn(("TEE-BLK-M", 480)).closes_at == CLOSES


def test_the_receipt_bringing_the_last_announced_unit_reconciles_it_complete() -> None:
    shipment = asn(("TEE-BLK-M", 480), ("MUG-WHT-OS", 20))
    shipment = got(shipment, "TEE-BLK-M", 470, "GRN-1")
    shipment = got(shipment, "TEE-BLK-M", 10, "GRN-2")

    after, events = receive(shipment, "MUG-WHT-OS", 20, "GRN-3", ON_TIME, CALENDAR)

    assert events == [
        InboundReconciled(
            "asn_TEST0001",
            SELLER,
            "WH-US-NJ1",
            "complete",
            (("TEE-BLK-M", 480, 480), ("MUG-WHT-OS", 20, 20)),
        )
    ]
    assert (after.status, after.outcome, after.due_at) == ("reconciled", "complete", None)
    assert close(after, CLOSES) == (after, [])  # the timer finds nothing left to do


def test_what_is_still_short_when_the_grace_runs_out_is_told_then_the_outcome() -> None:
    shipment = got(asn(("TEE-BLK-M", 480), ("MUG-WHT-OS", 20)), "TEE-BLK-M", 470, "GRN-1")
    shipment = got(shipment, "MUG-WHT-OS", 20, "GRN-2")

    assert close(shipment, CLOSES - timedelta(seconds=1)) == (shipment, [])
    after, events = close(shipment, CLOSES)

    assert events == [
        InboundDiscrepancy("asn_TEST0001", SELLER, "WH-US-NJ1", "short", "TEE-BLK-M", 480, 470),
        InboundReconciled(
            "asn_TEST0001",
            SELLER,
            "WH-US-NJ1",
            "short",
            (("TEE-BLK-M", 480, 470), ("MUG-WHT-OS", 20, 20)),
        ),
    ]
    assert (after.outcome, after.due_at) == ("short", None)
    assert close(after, CLOSES + timedelta(days=1)) == (after, [])  # once


def test_receiving_done_tells_what_is_still_short_then_the_outcome_before_the_grace_ends() -> None:
    shipment = got(asn(("TEE-BLK-M", 480), ("MUG-WHT-OS", 20)), "TEE-BLK-M", 470, "GRN-1")
    shipment = got(shipment, "MUG-WHT-OS", 20, "GRN-2")

    after, events = receiving_done(shipment)  # days before CLOSES: no deadline to wait for

    assert (after, events) == close(shipment, CLOSES)  # the same end as the timer's
    assert [(type(e), getattr(e, "kind", None)) for e in events] == [
        (InboundDiscrepancy, "short"),
        (InboundReconciled, None),
    ]
    assert told(after, "short") == [("short", "TEE-BLK-M", 480, 470)]
    assert (after.status, after.outcome, after.due_at) == ("reconciled", "short", None)
    assert receiving_done(after) == (after, [])  # said again: nothing told twice
    assert close(after, CLOSES) == (after, [])  # the timer afterwards finds nothing to do


def test_receiving_done_ends_over_mixed_or_all_short_as_the_grace_would() -> None:
    over, _ = receive(asn(("TEE-BLK-M", 10)), "TEE-BLK-M", 12, "GRN-1", ON_TIME, CALENDAR)
    mixed, _ = receive(
        asn(("TEE-BLK-M", 10), ("MUG-WHT-OS", 5)), "TEE-BLK-M", 12, "GRN-1", ON_TIME, CALENDAR
    )
    nothing = asn(("TEE-BLK-M", 10), ("MUG-WHT-OS", 5))

    over_end, over_events = receiving_done(over)
    mixed_end, _ = receiving_done(mixed)
    nothing_end, nothing_events = receiving_done(nothing)

    assert over_events == [
        InboundReconciled("asn_TEST0001", SELLER, "WH-US-NJ1", "over", (("TEE-BLK-M", 10, 12),))
    ]
    assert (over_end.outcome, mixed_end.outcome, nothing_end.outcome) == ("over", "mixed", "short")
    assert told(nothing_end, "short") == [
        ("short", "TEE-BLK-M", 10, 0),
        ("short", "MUG-WHT-OS", 5, 0),
    ]
    assert len(nothing_events) == 3


def test_receiving_done_after_the_shipment_ended_changes_nothing() -> None:
    complete, _ = receive(asn(("TEE-BLK-M", 10)), "TEE-BLK-M", 10, "GRN-1", ON_TIME, CALENDAR)
    closed, _ = close(got(asn(("TEE-BLK-M", 10)), "TEE-BLK-M", 4, "GRN-1"), CLOSES)

    assert complete.outcome == "complete"
    assert receiving_done(complete) == (complete, [])
    assert receiving_done(closed) == (closed, [])


def test_more_than_announced_is_told_once_and_the_shipment_ends_over_at_the_timer() -> None:
    shipment = asn(("TEE-BLK-M", 480))

    over, events = receive(shipment, "TEE-BLK-M", 500, "GRN-1", ON_TIME, CALENDAR)
    more = got(over, "TEE-BLK-M", 5, "GRN-2")  # still over: not told again
    ended, at_end = close(more, CLOSES)

    assert events == [
        InboundDiscrepancy("asn_TEST0001", SELLER, "WH-US-NJ1", "over", "TEE-BLK-M", 480, 500)
    ]
    assert over.status == "open"  # every unit is in, but more: the grace still runs
    assert at_end == [
        InboundReconciled("asn_TEST0001", SELLER, "WH-US-NJ1", "over", (("TEE-BLK-M", 480, 505),))
    ]
    assert told(ended, "over", "short") == [("over", "TEE-BLK-M", 480, 500)]


def test_a_sku_not_announced_is_told_once_and_keeps_the_shipment_open() -> None:
    shipment = asn(("TEE-BLK-M", 10))

    unexpected, events = receive(shipment, "HAT-RED-L", 3, "GRN-1", ON_TIME, CALENDAR)
    again = got(unexpected, "HAT-RED-L", 2, "GRN-2")
    all_in = got(again, "TEE-BLK-M", 10, "GRN-3")  # complete but for the unexpected SKU
    ended, at_end = close(all_in, CLOSES)

    assert events == [
        InboundDiscrepancy("asn_TEST0001", SELLER, "WH-US-NJ1", "unexpected_sku", "HAT-RED-L", 0, 3)
    ]
    assert all_in.status == "open"
    assert at_end == [
        InboundReconciled(
            "asn_TEST0001",
            SELLER,
            "WH-US-NJ1",
            "over",
            (("TEE-BLK-M", 10, 10), ("HAT-RED-L", 0, 5)),
        )
    ]
    assert ended.outcome == "over"


def test_short_of_one_sku_and_over_of_another_ends_mixed() -> None:
    shipment = asn(("TEE-BLK-M", 10), ("MUG-WHT-OS", 5))
    over, _ = receive(shipment, "TEE-BLK-M", 12, "GRN-1", ON_TIME, CALENDAR)

    ended, events = close(over, CLOSES)

    assert [(e.kind, e.sku) for e in events if isinstance(e, InboundDiscrepancy)] == [
        ("short", "MUG-WHT-OS")
    ]
    assert told(ended, "short") == [("short", "MUG-WHT-OS", 5, 0)]
    assert ended.outcome == "mixed"


def test_the_first_receipt_after_the_expected_local_day_is_late_once() -> None:
    shipment = asn(("TEE-BLK-M", 30))
    # 03:00 UTC on the 9th is still the 8th (22:00) in New York: on time.
    on_time = got(shipment, "TEE-BLK-M", 10, "GRN-1", datetime(2026, 12, 9, 3, 0, tzinfo=UTC))
    # 06:00 UTC on the 9th is 01:00 on the 9th in New York: a day late.
    late, events = receive(
        on_time, "TEE-BLK-M", 10, "GRN-2", datetime(2026, 12, 9, 6, 0, tzinfo=UTC), CALENDAR
    )
    last, last_events = receive(
        late, "TEE-BLK-M", 10, "GRN-3", datetime(2026, 12, 10, 15, 0, tzinfo=UTC), CALENDAR
    )

    assert events == [
        InboundDiscrepancy("asn_TEST0001", SELLER, "WH-US-NJ1", "late", None, None, None)
    ]
    # Late, but everything announced arrived and nothing more: complete (late is no outcome).
    assert [type(e) for e in last_events] == [InboundReconciled]
    assert last.outcome == "complete"
    assert told(last, "late") == [("late", None, None, None)]


def test_a_redelivered_receipt_counts_once_and_the_same_reference_counts_per_sku() -> None:
    shipment = asn(("TEE-BLK-M", 30), ("MUG-WHT-OS", 30))
    first = got(shipment, "TEE-BLK-M", 10, "GRN-1")

    again, events = receive(first, "TEE-BLK-M", 10, "GRN-1", ON_TIME, CALENDAR)
    other_sku = got(first, "MUG-WHT-OS", 4, "GRN-1")  # one receipt document, two SKUs

    assert (again, events) == (first, [])
    assert (other_sku.received_of("TEE-BLK-M"), other_sku.received_of("MUG-WHT-OS")) == (10, 4)


def test_a_receipt_after_the_reconciliation_ended_changes_nothing_of_it() -> None:
    ended, _ = close(got(asn(("TEE-BLK-M", 30)), "TEE-BLK-M", 10, "GRN-1"), CLOSES)

    after, events = receive(ended, "TEE-BLK-M", 20, "GRN-2", CLOSES, CALENDAR)

    assert (after, events) == (ended, [])
    assert after.received_of("TEE-BLK-M") == 10


def test_the_grace_counts_business_days_of_the_warehouse_market() -> None:
    # Friday 4 December + 2: Monday 7th, Tuesday 8th; end of that day in New York (UTC-5).
    assert grace_ends(CALENDAR, "US", date(2026, 12, 4), 2) == datetime(
        2026, 12, 9, 4, 59, 59, tzinfo=UTC
    )
    # An arrival on Saturday 5th counts from Monday: Monday 7th, Tuesday 8th.
    assert grace_ends(CALENDAR, "US", date(2026, 12, 5), 2) == datetime(
        2026, 12, 9, 4, 59, 59, tzinfo=UTC
    )
    # Thursday 24th in the US: Friday 25th is Christmas, then the weekend: Mon 28th, Tue 29th.
    assert grace_ends(CALENDAR, "US", date(2026, 12, 24), 2) == datetime(
        2026, 12, 30, 4, 59, 59, tzinfo=UTC
    )
    # In Britain the 28th is a bank holiday too: Tuesday 29th, Wednesday 30th, London (UTC+0).
    assert grace_ends(CALENDAR, "GB", date(2026, 12, 24), 2) == datetime(
        2026, 12, 30, 23, 59, 59, tzinfo=UTC
    )
    # No grace: the end of the arrival day itself, in Toronto (UTC-5).
    assert grace_ends(CALENDAR, "CA", date(2026, 12, 4), 0) == datetime(
        2026, 12, 5, 4, 59, 59, tzinfo=UTC
    )
    # A holiday of the settings' calendar counts too: Monday 7th off, so Tuesday 8th, Wed 9th.
    with_day_off = BusinessCalendar.of({"US": [date(2026, 12, 7)]})
    assert grace_ends(with_day_off, "US", date(2026, 12, 4), 2) == datetime(
        2026, 12, 10, 4, 59, 59, tzinfo=UTC
    )


def test_an_announcement_is_refused_for_each_rule_it_breaks() -> None:
    lines = [("TEE-BLK-M", 5), ("MUG-WHT-OS", 2), ("TEE-BLK-M", 1)]
    sellers_of = {"MUG-WHT-OS": {"sel_OTHER0002"}, "TEE-BLK-M": {SELLER}}

    problems = announcement_problems(
        NJ1, date(2026, 12, 2), lines, seller_id=SELLER, today=date(2026, 12, 3),
        sellers_of=sellers_of,
    )  # fmt: skip
    unknown = announcement_problems(
        None, ARRIVAL, lines[:1], seller_id=SELLER, today=None, sellers_of={}
    )
    fine = announcement_problems(
        NJ1, date(2026, 12, 3), lines[:2], seller_id=SELLER, today=date(2026, 12, 3),
        sellers_of={"TEE-BLK-M": {SELLER}},
    )  # fmt: skip

    assert problems == [
        Invalid("body.expected_arrival", "before today (2026-12-03) there"),
        Invalid("body.lines.1.sku", "MUG-WHT-OS is another seller's"),
        Invalid("body.lines.2.sku", "TEE-BLK-M is announced twice"),
    ]
    assert unknown == [Invalid("body.warehouse_id", "not a warehouse of the network")]
    assert fine == []  # arriving today, its own SKU and one not stocked yet


def test_the_asn_id_is_the_seller_and_reference_s_own() -> None:
    first = asn_id_for(SELLER, "PO-1")
    assert first == asn_id_for(SELLER, "PO-1")
    assert first != asn_id_for(SELLER, "PO-2")
    assert first != asn_id_for("sel_OTHER0002", "PO-1")
    assert first.startswith("asn_")
    assert len(first) == 28
