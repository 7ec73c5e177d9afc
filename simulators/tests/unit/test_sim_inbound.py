"""The inbound planner: deterministic, contract-valid, with the discrepancies it says it plans."""

from datetime import UTC, date, datetime

from conveyor_contracts.topics import WAREHOUSE_RECEIPTS
from conveyor_simulators.catalogue import DEFAULT_WAREHOUSES, SELLER_OF, SELLERS
from conveyor_simulators.inbound import PlannedAsn, inbound_receipts, plan_inbound

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
ASN_ID = "asn_0123456789abcdef01234567"


def _plan(seed: int = 7) -> list[PlannedAsn]:
    return plan_inbound(seed, DEFAULT_WAREHOUSES, NOW)


def _dump(seed: int) -> list[str]:
    return [
        receipt.model_dump_json()
        for asn in _plan(seed)
        for receipt in inbound_receipts(seed, asn, ASN_ID)
    ] + [repr(asn) for asn in _plan(seed)]


def test_same_seed_gives_the_same_plan() -> None:
    assert _dump(7) == _dump(7)
    assert _dump(7) != _dump(8)


def test_every_seller_announces_one_asn_per_warehouse_for_its_own_skus() -> None:
    plan = _plan()
    assert {(a.seller_id, a.warehouse_id) for a in plan} == {
        (s, w) for s in SELLERS for w in DEFAULT_WAREHOUSES
    }
    assert len({(a.seller_id, a.reference) for a in plan}) == len(plan)  # the ASN id's source
    for asn in plan:
        assert {SELLER_OF[sku] for sku, _ in asn.lines + asn.received} == {asn.seller_id}
        assert asn.expected_arrival == date(2026, 12, 3)  # the local day everywhere at 13:00 UTC
        body = asn.body()
        assert body["expected_arrival"] == "2026-12-03"
        assert [(line["sku"], line["units"]) for line in body["lines"]] == list(asn.lines)


def test_every_receipt_validates_and_names_the_asn_id_it_was_given() -> None:
    for asn in _plan():
        receipts = inbound_receipts(7, asn, ASN_ID)
        assert [(r.sku, r.quantity) for r in receipts] == list(asn.received)
        for receipt in receipts:
            assert WAREHOUSE_RECEIPTS.adapter.validate_json(receipt.model_dump_json()) == receipt
            assert (receipt.asn_id, receipt.seller_id) == (ASN_ID, asn.seller_id)
            assert receipt.occurred_at == asn.received_at
    refs = [r.receipt_ref for a in _plan() for r in inbound_receipts(7, a, ASN_ID)]
    assert len(set(refs)) == len(refs)


def test_the_discrepancies_planned_for_seed_7_are_exactly_these() -> None:
    planned = {(a.seller_id, a.warehouse_id): a.discrepancies for a in _plan() if a.discrepancies}
    assert planned == {
        ("sel_Apparel0001", "WH-GB-MAN1"): (("late", None),),
        ("sel_Sneakers001", "WH-US-NJ1"): (("over", "SNKR-RED-42"),),
        ("sel_Sneakers001", "WH-CA-ON1"): (("unexpected_sku", "SNKR-BLK-44"),),
        ("sel_Homeware001", "WH-US-NJ1"): (("short", "BAG-TOTE-01"),),
    }


def test_each_discrepancy_is_what_arrives_against_the_announcement() -> None:
    for asn in _plan():
        announced, received = dict(asn.lines), dict(asn.received)
        kinds = dict(asn.discrepancies)
        if "short" in kinds:
            sku = kinds["short"]
            assert sku is not None
            assert 0 < received[sku] < announced[sku]
        if "over" in kinds:
            sku = kinds["over"]
            assert sku is not None
            assert received[sku] > announced[sku]
        if "unexpected_sku" in kinds:
            assert set(received) - set(announced) == {kinds["unexpected_sku"]}
            assert asn.first == (kinds["unexpected_sku"],)  # before the ASN could complete
        else:
            assert set(received) == set(announced)
            assert asn.first == ()
        if "late" in kinds:
            # After the expected arrival's local day, in the warehouse's market (London here).
            assert asn.received_at == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
            assert received == announced
        else:
            assert asn.received_at == NOW
        if not kinds:
            assert received == announced
