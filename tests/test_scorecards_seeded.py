"""The seller and carrier scorecards on the simulated carriers' parcels for a fixed seed, every
figure worked out by hand from the seed's plans (written out below and checked first, so that a
change in the carrier model shows as a changed plan, not as a silently different figure).

Seed 7; swiftpost holds half its parcels at a hub for twelve days, libertyparcel none; a fifth
of bookings declined, a fifth of deliveries failing once, a tenth of parcels lost (rates raised
from the simulator's defaults so eight parcels show every case). Every booking is asked on
Tuesday 2026-12-01 09:00 UTC; a parcel is due (``deliver_by``) five days later, Sunday 12-06
09:00; the scorecards are counted on Monday 12-14 12:00, so the 7-day window starts 12-07 12:00.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.carriers.requests import BookShipment
from conveyor_simulators.carrier_model import CarrierPlan, CarrierSettings, plan_shipment
from conveyor_testkit import from_example
from orders.domain import scorecard as sellers
from orders.domain.order import Order, OrderLine, OrderStatus, Parcel, StatusChange
from orders.domain.promise import Window
from orders.domain.scorecard import Figure as Counted
from shipping.domain import scorecards as carriers
from shipping.domain.scorecards import Figure
from shipping.domain.shipment import BookingRequest, Line, Scan, Shipment, ShipmentStatus
from shipping.domain.tracking import tracked_status

SETTINGS = CarrierSettings(
    seed=7,
    decline_rate=0.2,
    failed_delivery_rate=0.2,
    lost_rate=0.1,
    late_rates={"swiftpost": 0.5},
)
ASKED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DUE = ASKED + timedelta(days=5)
NOW = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)
PARCELS = 8
SELLER = "sel_SeededSeller1"  # swiftpost's parcels are this seller's orders

# What the seed plans for shipments shp_seed0001..0008, per carrier: "declined", or the parcel's
# moves in the order they happened (duplicates and out-of-order uploads aside) and the day of
# December (UTC) it was delivered or lost.
PLANS = {
    "swiftpost": [
        ("failed once", 2),  # 1: delivered 12-02 01:00 after a failed attempt: on time
        ("held", 13),  # 2: held at the hub, delivered 12-13 22:00: late
        ("held", 13),  # 3: held too (its scans duplicated and out of order): late
        ("declined", None),  # 4
        ("failed once", 2),  # 5: as 1
        ("lost", 1),  # 6: lost 12-01 16:00
        ("first attempt", 1),  # 7: delivered 12-01 19:00
        ("failed once", 2),  # 8: as 1 (its scans out of order)
    ],
    "libertyparcel": [("first attempt", 1)] * PARCELS,  # each delivered 12-01 19:00
}


def plan(code: str, number: int) -> CarrierPlan:
    request = from_example(
        BookShipment, shipment_id=f"shp_seed{number:04d}", occurred_at=ASKED.isoformat()
    )
    return plan_shipment(code, request, SETTINGS)


def summary(planned: CarrierPlan) -> tuple[str, int | None]:
    if not planned.accepted:
        return ("declined", None)
    statuses = {scan.status for scan in planned.scans}
    hub_scans = {scan.scanned_at for scan in planned.scans if scan.status == "in_transit"}
    if "lost" in statuses:
        kind = "lost"
    elif "delivery_failed" in statuses:
        kind = "failed once"
    elif len(hub_scans) > 1:
        kind = "held"  # scanned at the hub again, days later
    else:
        kind = "first attempt"
    return (kind, max(scan.scanned_at for scan in planned.scans).day)


def shipment(code: str, number: int) -> Shipment:
    """What shipping stores of the seed's parcel: the request asked, declined an hour later or
    accepted, and the scans the carrier reported."""
    planned = plan(code, number)
    declined = None if planned.accepted else ASKED + timedelta(hours=1)
    scans = tuple(Scan(s.status, s.scanned_at, s.location_code) for s in planned.scans)
    return Shipment(
        shipment_id=f"shp_seed{number:04d}",
        reservation_id=f"rsv_seed{number:04d}",
        warehouse_id="WH-US-NJ1",
        lines=(Line("SKU-1", 1),),
        status=tracked_status(scans) or ShipmentStatus.CONFIRMED,
        carrier_code=code if planned.accepted else None,
        deliver_by=DUE,
        scans=scans,
        bookings=(BookingRequest(code, ASKED, declined),),
    )


def order(number: int) -> Order:
    """The seller's order that swiftpost's parcel ``number`` carries, as orders keeps it:
    accepted when the booking is asked, to be dispatched by 17:00 that day, promised by 12-06;
    picked up, delivered and lost as the carrier scanned it."""
    planned = plan("swiftpost", number)
    scans = sorted(planned.scans, key=lambda scan: scan.scanned_at)
    picked = next((s.scanned_at for s in scans if s.status == "picked_up"), None)
    delivered = next((s.scanned_at for s in scans if s.status == "delivered"), None)
    lost = any(s.status == "lost" for s in scans)
    status = OrderStatus.ACCEPTED
    if picked is not None:
        status = OrderStatus.PICKED_UP
    if delivered is not None:
        status = OrderStatus.DELIVERED
    if lost:
        status = OrderStatus.LOST
    tracking = planned.tracking_number if planned.accepted else None
    parcel = Parcel(
        f"shp_seed{number:04d}",
        status,
        "swiftpost" if planned.accepted else None,
        tracking,
        "res_1",
        picked_up_at=picked,
        delivered_at=delivered,
        scanned_tracking=tracking if picked is not None else None,
    )
    history: tuple[StatusChange, ...] = (StatusChange(OrderStatus.ACCEPTED, ASKED, uuid.uuid4()),)
    if status is not OrderStatus.ACCEPTED:
        history += (StatusChange(status, delivered or picked or ASKED, uuid.uuid4()),)
    return Order(
        order_id=f"ord_seed{number:04d}",
        market="US",
        currency="USD",
        lines=(OrderLine("SKU-1", 1, 1000, SELLER),),
        status=status,
        history=history,
        placed_event_id=uuid.uuid4(),
        content_hash="h",
        expected_parcels=1,
        parcels=(parcel,),
        reservation_id="res_1",
        dispatch_by=ASKED.replace(hour=17),
        promised_delivery=Window(date(2026, 12, 3), DUE.date()),
        delivered_at=delivered,
        carrier_fault="lost" if lost else None,
    )


def test_the_seed_plans_what_the_figures_below_were_counted_from() -> None:
    for code, expected in PLANS.items():
        assert [summary(plan(code, n)) for n in range(1, PARCELS + 1)] == expected, code


def test_carrier_scorecards_for_the_seed() -> None:
    shipments = [shipment(code, n) for code in PLANS for n in range(1, PARCELS + 1)]

    cards = carriers.scorecards(shipments, list(PLANS), NOW)

    # 30 days, swiftpost: delivered 1, 2, 3, 5, 7, 8; on time all but the held 2 and 3 (4/6);
    # at the first attempt 2, 3, 7 (3/6); picked up all but the declined 4, 6 lost (1/7);
    # asked 8 times, declined once (1/8).
    assert cards.cards["30d"]["swiftpost"] == carriers.Scorecard(
        on_time=Figure(4, 6), first_attempt=Figure(3, 6), loss=Figure(1, 7), decline=Figure(1, 8)
    )
    # libertyparcel: all 8 asked, picked up and delivered on time at the first attempt.
    assert cards.cards["30d"]["libertyparcel"] == carriers.Scorecard(
        on_time=Figure(8, 8), first_attempt=Figure(8, 8), loss=Figure(0, 8), decline=Figure(0, 8)
    )
    # 7 days (from 12-07 12:00): only the held parcels' deliveries, on 12-13: late, first
    # attempt; every pickup and request was on 12-01.
    assert cards.cards["7d"]["swiftpost"] == carriers.Scorecard(
        on_time=Figure(0, 2), first_attempt=Figure(2, 2), loss=Figure(0, 0), decline=Figure(0, 0)
    )
    assert cards.cards["7d"]["libertyparcel"] == carriers.Scorecard()
    assert cards.on_time("30d")["swiftpost"].rate == 4 / 6


def test_seller_scorecard_for_the_seed() -> None:
    orders = [order(n) for n in range(1, PARCELS + 1)]

    card = sellers.scorecard(orders, SELLER, BusinessCalendar(), NOW)

    seven, thirty = card.windows
    assert (seven.days, seven.orders) == (7, 0)  # every order was accepted on 12-01
    # 30 days: 8 orders; the carrier's faults left out: 6 lost, 2 and 3 late although picked
    # up on time (10:00, dispatch-by 17:00). Of 1, 4, 5, 7, 8: 4 never dispatched (its only
    # carrier declined) and past its dispatch-by, so late (1/5); the four dispatched carry the
    # tracking number the carrier scanned (4/4) and were delivered 12-01 or 12-02 (New York
    # dates 12-01), before the promise's last day 12-06 (4/4); none was closed (0/5).
    assert (thirty.orders, thirty.carrier_fault_excluded) == (8, 3)
    assert thirty.late_dispatch == Counted(1, 5)
    assert thirty.valid_tracking == Counted(4, 4)
    assert thirty.on_time_delivery == Counted(4, 4)
    assert thirty.seller_fault_cancellation == Counted(0, 5)
    assert thirty.within_late_dispatch_target is False  # 20 % against at most 4 %
