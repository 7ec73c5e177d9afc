"""A parcel forecast late opens one proactive case for the order, which a later breach joins;
every case names the sellers whose goods it concerns: the parcel's, else the order's."""

from typing import Any

import httpx
from pydantic import TypeAdapter
from support_testkit import ORDER, World, event, world

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockShortage
from conveyor_contracts.shipping import (
    DeliverySlaBreached,
    ShipmentBooked,
    ShipmentDelayed,
    ShipmentLost,
)
from conveyor_runtime.outbox import derived_event_id
from conveyor_runtime.service import build_api
from conveyor_runtime.tokens import Issuer
from support.domain.access import Principal
from support.domain.cases import CaseStatus, OrderCases
from support.domain.whereabouts import where_is
from support.entrypoints.http import support_router
from support.settings import SupportSettings
from support.usecases.change_case_status import change_case_status
from support.usecases.keep_aftersales_facts import keep_aftersales_facts
from support.usecases.open_case_on_exception import open_case_on_exception, system_case_id
from support.usecases.open_case_on_request import open_case_on_request
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

SHOES, SHIRTS, MUGS = "sel_Shoes0001", "sel_Shirts001", "sel_Mugs00001"
PARCEL, OTHER_PARCEL = "shp_01J9Z4B6T2W8", "shp_01J9Z4B6T2W9"
AGENT = Principal("agent", "agt_1")


def placed(*sellers: str | None) -> OrderPlaced:
    """An order of one unit at 1000 per line, each line of the seller given (None: unnamed)."""

    def line(n: int, seller: str | None) -> dict[str, Any]:
        price = {"amount_minor": 1000, "currency": "USD"}
        return {"sku": f"SKU-{n}", "quantity": 1, "unit_price": price, "seller_id": seller}

    total = 1000 * len(sellers) + 499
    return event(
        OrderPlaced,
        lines=[line(n, seller) for n, seller in enumerate(sellers)],
        shipping_fee={"amount_minor": 499, "currency": "USD"},
        order_total={"amount_minor": total, "currency": "USD"},
    )


def booked(shipment_id: str, *sellers: str | None) -> ShipmentBooked:
    lines = [{"sku": f"SKU-{n}", "quantity": 1, "seller_id": s} for n, s in enumerate(sellers)]
    return event(ShipmentBooked, shipment_id=shipment_id, lines=lines)


def delayed(shipment_id: str = PARCEL) -> ShipmentDelayed:
    return event(ShipmentDelayed, shipment_id=shipment_id)


async def opened_cases(w: World) -> OrderCases:
    cases = await w.cases.get(ORDER)
    assert cases is not None
    return cases


async def test_a_late_forecast_opens_one_sla_breach_case_across_redelivery_and_parcels() -> None:
    w = world()
    first, second = delayed(PARCEL), delayed(OTHER_PARCEL)
    for message in (first, first, second, first):  # redelivered, and the order's other parcel
        await open_case_on_exception(message, w.support)
    [opened] = w.published()
    assert opened.event_type == "CaseOpened"
    assert (opened.kind, opened.opened_by) == ("sla_breach", "system")
    assert (opened.shipment_id, opened.summary) == (PARCEL, None)
    assert opened.event_id == derived_event_id(first.event_id, "CaseOpened")
    assert opened.causation_id == first.event_id
    # The id a breach of the order would derive: both are the order's one lateness case.
    assert opened.case_id == system_case_id(ORDER, "DeliverySlaBreached")
    [case] = (await opened_cases(w)).cases
    assert (case.reason, case.status) == ("ShipmentDelayed", CaseStatus.OPEN)


async def test_a_breach_after_a_delay_opens_no_second_case_even_once_it_is_closed() -> None:
    w = world()
    await open_case_on_exception(delayed(), w.support)
    await open_case_on_exception(event(DeliverySlaBreached, shipment_id=PARCEL), w.support)
    assert w.types() == ["CaseOpened"]
    [case] = (await opened_cases(w)).cases
    await change_case_status(case.case_id, CaseStatus.CLOSED, None, w.support)
    await open_case_on_exception(event(DeliverySlaBreached, shipment_id=PARCEL), w.support)
    assert w.types() == ["CaseOpened", "CaseResolved"]  # closing it said how it ended, no more
    assert len((await opened_cases(w)).cases) == 1


async def test_a_breach_with_no_delay_before_it_opens_its_case_as_before() -> None:
    w = world()
    breach = event(DeliverySlaBreached)
    await open_case_on_exception(breach, w.support)
    await open_case_on_exception(delayed(OTHER_PARCEL), w.support)  # late news of the same
    [opened] = w.published()
    assert (opened.kind, opened.shipment_id) == ("sla_breach", breach.shipment_id)
    assert opened.case_id == system_case_id(ORDER, "DeliverySlaBreached")
    assert opened.causation_id == breach.event_id
    [case] = (await opened_cases(w)).cases
    assert case.reason == "DeliverySlaBreached"


async def test_the_timeline_records_a_delay_like_any_shipment_event() -> None:
    w = world()
    message = delayed()
    timeline = await record_timeline_on_order_event(
        message, "shipping.shipments.v1", None, w.timelines
    )
    [entry] = timeline.entries
    assert (entry.event_type, entry.facts["shipment_id"]) == ("ShipmentDelayed", PARCEL)
    assert (entry.facts["promised_latest"], entry.facts["forecast_delivery"]) == (
        "2026-12-09",
        "2026-12-11",
    )


async def test_a_parcel_forecast_late_is_delayed_in_where_is_my_order() -> None:
    w = world()
    for message in (booked(PARCEL, SHOES), delayed(PARCEL)):
        timeline = await record_timeline_on_order_event(message, "t", None, w.timelines)
    [parcel] = where_is(timeline).parcels
    assert (parcel.shipment_id, parcel.status, parcel.delayed) == (PARCEL, "awaiting_pickup", True)


async def test_a_case_about_a_booked_parcel_names_the_parcels_sellers() -> None:
    w = world()
    await keep_aftersales_facts(placed(SHOES, SHIRTS, MUGS), w.support)
    await keep_aftersales_facts(booked(PARCEL, SHIRTS, SHOES, SHIRTS), w.support)
    await keep_aftersales_facts(booked(OTHER_PARCEL, MUGS), w.support)
    await open_case_on_exception(delayed(PARCEL), w.support)
    [opened] = w.published()
    assert opened.seller_ids == (SHIRTS, SHOES)  # sorted, each once
    [case] = (await opened_cases(w)).cases
    assert case.seller_ids == (SHIRTS, SHOES)


async def test_a_case_names_the_orders_sellers_without_the_parcels_lines() -> None:
    w = world()
    await keep_aftersales_facts(placed(SHOES, MUGS, SHOES, None), w.support)
    await keep_aftersales_facts(booked(OTHER_PARCEL, None), w.support)  # names no seller
    await open_case_on_exception(event(ShipmentLost, shipment_id=PARCEL), w.support)  # unbooked
    await open_case_on_exception(delayed(OTHER_PARCEL), w.support)
    await open_case_on_exception(event(StockShortage), w.support)  # no parcel at all
    assert [e.seller_ids for e in w.published()] == [(MUGS, SHOES)] * 3


async def test_a_case_opened_on_request_names_its_parcels_sellers() -> None:
    w = world()
    order = placed(SHOES, MUGS)
    timeline = await record_timeline_on_order_event(order, "checkout.orders.v1", None, w.timelines)
    await keep_aftersales_facts(order, w.support)
    await keep_aftersales_facts(booked(PARCEL, MUGS), w.support)
    damaged = await open_case_on_request(timeline, "damaged", AGENT, w.support, shipment_id=PARCEL)
    missing = await open_case_on_request(timeline, "missing", AGENT, w.support)
    assert (damaged.seller_ids, missing.seller_ids) == ((MUGS,), (MUGS, SHOES))
    assert [e.seller_ids for e in w.published()] == [(MUGS,), (MUGS, SHOES)]


async def test_a_case_names_no_seller_when_support_knows_none() -> None:
    w = world()
    await open_case_on_exception(delayed(), w.support)  # nothing of the order heard yet
    other = world()
    await keep_aftersales_facts(placed(None, None), other.support)  # a checkout before sellers
    await open_case_on_exception(event(ShipmentLost), other.support)
    assert [e.seller_ids for e in (*w.published(), *other.published())] == [(), ()]


async def test_cases_stored_before_sellers_still_load_with_none_known() -> None:
    w = world()
    await keep_aftersales_facts(placed(SHOES), w.support)
    await open_case_on_exception(event(ShipmentLost), w.support)
    stored = TypeAdapter(OrderCases).dump_python(await opened_cases(w), mode="python")
    del (
        stored["parcels"],
        stored["cases"][0]["seller_ids"],
        stored["purchase"]["lines"][0]["seller_id"],
    )
    cases = TypeAdapter(OrderCases).validate_python(stored)  # a document of before the change
    assert (cases.parcels, cases.cases[0].seller_ids, cases.sellers_of(PARCEL)) == ((), (), ())
    assert cases.purchase is not None
    assert cases.purchase.lines[0].seller_id is None


async def test_the_case_over_http_names_its_sellers(token_issuer: Issuer) -> None:
    w = world()
    await keep_aftersales_facts(placed(SHOES, MUGS), w.support)
    await open_case_on_exception(event(StockShortage), w.support)
    [case] = (await opened_cases(w)).cases
    settings = SupportSettings(jwks_path=token_issuer.jwks_path)
    app = build_api(settings, [support_router(w.support, settings)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://support") as client:
        shown = await client.get(
            f"/cases/{case.case_id}", headers=token_issuer.bearer("agent", "agt_1")
        )
    assert shown.status_code == 200
    assert shown.json()["seller_ids"] == [MUGS, SHOES]
