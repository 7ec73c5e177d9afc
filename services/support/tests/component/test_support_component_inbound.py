"""A seller's inbound shipment through support's topics: inventory's discrepancies open the
ASN's case, which the seller then reads over HTTP, and which its timer escalates when nobody
answers it in time."""

import pytest
from support_component import SupportComponent

from conveyor_contracts.inbound import InboundDiscrepancyFound, InboundShipmentReconciled
from conveyor_contracts.topics import INVENTORY_INBOUND
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import from_example, wait_for
from support.domain.inbound_cases import inbound_case_id
from support.settings import SupportSettings

ASN, SELLER = "asn_01JA0COMPONENT", "sel_01J9ZA4S7K2L"


async def test_bytes_that_are_no_inbound_event_are_parked_and_the_asn_goes_on(
    support: SupportComponent,
) -> None:
    bad = b'{"event_type": "InboundDiscrepancyFound"'
    await support.publish(INVENTORY_INBOUND, bad, key=ASN)
    parked = await support.next(INVENTORY_INBOUND, dead_letter=True)
    late = from_example(InboundDiscrepancyFound, asn_id=ASN, seller_id=SELLER, kind="late")
    await support.publish(INVENTORY_INBOUND, late)

    assert (parked.body, parked.key) == (bad, ASN)
    assert parked.headers["x-dlq-reason"].startswith("ValidationError: ")
    assert support.consumed(INVENTORY_INBOUND, "dead_lettered") == 1
    case = await support.deps.inbound.get(inbound_case_id(ASN))
    assert case is not None
    assert [d.kind for d in case.discrepancies] == ["late"]


async def test_an_asns_discrepancies_become_one_case_the_seller_reads(
    support: SupportComponent, token_issuer: Issuer
) -> None:
    short = from_example(
        InboundDiscrepancyFound, asn_id=ASN, seller_id=SELLER, kind="short", sku="TEE-BLK-M"
    )
    ended = from_example(InboundShipmentReconciled, asn_id=ASN, seller_id=SELLER, outcome="short")
    for message in (short, short, ended):  # the discrepancy redelivered
        await support.publish(INVENTORY_INBOUND, message)

    async with support.http_api() as api:
        answer = await api.get(
            f"/sellers/{SELLER}/inbound-cases", headers=token_issuer.bearer("seller", SELLER)
        )
    assert answer.status_code == 200
    [case] = answer.json()
    assert (case["case_id"], case["outcome"]) == (inbound_case_id(ASN), "short")
    assert [d["kind"] for d in case["discrepancies"]] == ["short"]
    assert support.consumed(INVENTORY_INBOUND, "ok") == 3


@pytest.fixture
def support_settings(support_settings: SupportSettings) -> SupportSettings:
    return support_settings.model_copy(update={"first_response_seconds": 0.05})


async def test_an_unanswered_inbound_case_is_escalated_once_by_its_timer(
    support: SupportComponent, token_issuer: Issuer
) -> None:
    over = from_example(
        InboundDiscrepancyFound, asn_id=ASN, seller_id=SELLER, kind="over", sku="TEE-BLK-M"
    )
    await support.publish(INVENTORY_INBOUND, over)
    case_id = inbound_case_id(ASN)

    async def escalated() -> bool:
        case = await support.deps.inbound.get(case_id)
        return case is not None and case.escalated

    await wait_for(escalated, within=5, interval=0.01)

    async def nothing_due() -> bool:  # the firing's write left no deadline to fire again
        return await support.deps.inbound_timer.poller.sweep() == 0

    await wait_for(nothing_due, within=5, interval=0.01)
    async with support.http_api() as api:
        answer = await api.get(
            f"/inbound-cases/{case_id}", headers=token_issuer.bearer("agent", "agt_1")
        )
    assert (answer.json()["escalated"], answer.json()["status"]) == (True, "open")
