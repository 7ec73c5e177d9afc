"""The carrier behaviour model: a pure function from booking + seed to its answer and scans."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from conveyor_contracts.carriers.requests import CARRIER_REQUESTS, BookShipment
from conveyor_simulators.__main__ import late_rates
from conveyor_simulators.carrier_model import CarrierSettings, plan_shipment

ORDER = ("picked_up", "in_transit", "out_for_delivery", "delivered")


def _booking(number: int) -> BookShipment:
    # Start from the contract's own example, so the test follows the schema.
    schema = BookShipment.model_json_schema()["examples"][0]
    now = datetime(2026, 3, 14, tzinfo=UTC)
    data = {
        **schema,
        "shipment_id": f"shp_{number:012d}",
        "pickup_by": (now + timedelta(hours=4)).isoformat(),
        "deliver_by": (now + timedelta(days=3)).isoformat(),
    }
    booking = CARRIER_REQUESTS.validate_python(data)
    assert isinstance(booking, BookShipment)
    return booking


def test_same_seed_same_plan() -> None:
    settings = CarrierSettings(seed=3, duplicate_rate=0.3, out_of_order_rate=0.3)
    for number in range(20):
        booking = _booking(number)
        assert plan_shipment("swiftpost", booking, settings) == plan_shipment(
            "swiftpost", booking, settings
        )


def test_default_plan_scans_to_delivered_in_order() -> None:
    settings = CarrierSettings(
        decline_rate=0.0,
        failed_delivery_rate=0.0,
        lost_rate=0.0,
        duplicate_rate=0.0,
        out_of_order_rate=0.0,
    )
    plan = plan_shipment("swiftpost", _booking(1), settings)
    assert plan.accepted
    assert tuple(scan.status for scan in plan.scans) == ORDER
    assert all(a.at_s < b.at_s for a, b in zip(plan.scans, plan.scans[1:], strict=False))


def test_duplicates_and_out_of_order_at_their_rates() -> None:
    settings = CarrierSettings(
        decline_rate=0.0,
        failed_delivery_rate=0.0,
        lost_rate=0.0,
        duplicate_rate=0.2,
        out_of_order_rate=0.1,
    )
    shipments = 500
    duplicated = reordered = 0
    for number in range(shipments):
        scans = plan_shipment("swiftpost", _booking(number), settings).scans
        duplicated += len(scans) - 4
        times = [scan.scanned_at for scan in scans]
        reordered += any(later < earlier for earlier, later in itertools.pairwise(times))
    # 4 scans each, 20% duplicated: about 400 extra scans.
    assert 300 <= duplicated <= 500
    # A swap happens with 10% per adjacent pair (about 4 pairs): well over a fifth of shipments.
    assert 0.15 * shipments <= reordered <= 0.5 * shipments


def test_decline_lost_and_failed_rates() -> None:
    settings = CarrierSettings(
        decline_rate=0.1, lost_rate=0.1, failed_delivery_rate=0.1, duplicate_rate=0.0,
        out_of_order_rate=0.0,
    )  # fmt: skip
    plans = [plan_shipment("maplefreight", _booking(n), settings) for n in range(500)]
    declined = sum(not plan.accepted for plan in plans)
    lost = sum(any(scan.status == "lost" for scan in plan.scans) for plan in plans)
    failed = sum(any(scan.status == "delivery_failed" for scan in plan.scans) for plan in plans)
    assert 25 <= declined <= 80
    assert 20 <= lost <= 80
    assert 20 <= failed <= 80


def test_a_late_carrier_holds_about_its_share_of_parcels_at_a_hub_for_days() -> None:
    """Dated days later, sent as soon as the others: a run does not wait for the hold."""
    settings = CarrierSettings(
        decline_rate=0.0,
        failed_delivery_rate=0.0,
        lost_rate=0.0,
        duplicate_rate=0.0,
        out_of_order_rate=0.0,
        late_rates={"libertyparcel": 0.3},
    )
    held = 0
    for number in range(400):
        booking = _booking(number)
        punctual = plan_shipment("swiftpost", booking, settings)
        assert [scan.status for scan in punctual.scans] == list(ORDER)
        late = plan_shipment("libertyparcel", booking, settings)
        statuses = [scan.status for scan in late.scans]
        if statuses != list(ORDER):
            assert statuses == ["picked_up", "in_transit", "in_transit", *ORDER[2:]]
            hub, again = late.scans[1], late.scans[2]
            gap = again.scanned_at - hub.scanned_at
            assert gap == timedelta(seconds=settings.scan_interval_s + settings.late_delay_s)
            assert again.at_s - hub.at_s == settings.scan_interval_s  # sent without the wait
            held += 1
    assert 90 <= held <= 150  # 30 % of 400, give or take the draw


def test_a_carrier_that_is_never_late_plans_as_before() -> None:
    booking = _booking(7)
    before = plan_shipment("swiftpost", booking, CarrierSettings(seed=5))
    named = CarrierSettings(seed=5, late_rates={"libertyparcel": 0.5})
    assert plan_shipment("swiftpost", booking, named) == before


def test_the_command_line_names_late_carriers_by_code_and_refuses_unknown_ones() -> None:
    assert late_rates("libertyparcel=0.3,swiftpost=0.05") == {
        "libertyparcel": 0.3,
        "swiftpost": 0.05,
    }
    assert late_rates("") == {}
    with pytest.raises(SystemExit, match="not an onboarded carrier"):
        late_rates("nosuchcarrier=0.5")
