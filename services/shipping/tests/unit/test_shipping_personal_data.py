"""Shipping's personal data has a lifetime: erased after the retention once the order settled,
or on the buyer's request (at once, or at the end of a parcel still in flight), with statuses,
scans and tracking still readable."""

import uuid
from datetime import timedelta

from shipping_testkit import World, accepted, carrier_accepts, reserved, scan, world

from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.privacy import REDACTED, holds_personal_data
from conveyor_contracts.shipping import ShippingPersonalDataErased
from conveyor_testkit import from_example
from shipping.domain.privacy import forget_at, forgotten, holds_personal, settled_at
from shipping.domain.shipment import Fulfilment, ShipmentStatus
from shipping.usecases.erase_personal_data_on_erasure_requested import (
    erase_personal_data_on_erasure_requested,
)
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.handle_deadlines_on_timer import handle_deadlines_on_timer
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)

ORDER = "ord_01J9Z3K8M4QH2V"
DAY = 86400.0


def erasure_request(erasure_id: str = "era_01J9ZD4Q7T1K") -> PersonalDataErasureRequested:
    return from_example(
        PersonalDataErasureRequested,
        event_id=str(uuid.uuid4()),
        order_id=ORDER,
        correlation_id=ORDER,
        erasure_id=erasure_id,
    )


async def in_transit(w: World) -> str:
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    await plan_shipments_on_stock_reserved(reserved(ORDER), w.shipping)
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    [shp] = [s.shipment_id for s in fulfilment.shipments]
    await follow_shipment_on_carrier_report(
        carrier_accepts(ORDER, shp), "libertyparcel", w.shipping
    )
    for status in ("picked_up", "in_transit"):
        report = scan(ORDER, shp, status, w.clock.advance(hours=1))
        await follow_shipment_on_carrier_report(report, "libertyparcel", w.shipping)
    return shp


async def deliver(w: World, shp: str) -> None:
    report = scan(ORDER, shp, "delivered", w.clock.advance(hours=1))
    await follow_shipment_on_carrier_report(report, "libertyparcel", w.shipping)


async def stored(w: World) -> Fulfilment:
    fulfilment = await w.fulfilments.get(ORDER)
    assert fulfilment is not None
    return fulfilment


def confirmations(w: World) -> list[ShippingPersonalDataErased]:
    return [m for _, m in w.published() if isinstance(m, ShippingPersonalDataErased)]


async def test_forgetting_keeps_statuses_scans_and_tracking_and_drops_every_contact() -> None:
    w = world()
    shp = await in_transit(w)
    await deliver(w, shp)
    before = await stored(w)

    after = forgotten(before)
    assert holds_personal(before)
    assert not holds_personal(after)
    assert after.details is not None
    assert before.details is not None
    assert after.details.recipient.name == REDACTED
    assert after.details.ship_to.country == before.details.ship_to.country
    assert after.details.unit_prices == before.details.unit_prices
    [kept] = after.shipments
    assert kept == before.shipments[0]  # status, scans, carrier, tracking number, deadlines
    assert kept.status is ShipmentStatus.DELIVERED
    assert forgotten(after) == after


async def test_an_order_with_a_parcel_in_flight_has_not_settled_and_one_delivered_has() -> None:
    w = world()
    shp = await in_transit(w)
    assert settled_at(await stored(w)) is None
    await deliver(w, shp)
    assert settled_at(await stored(w)) == w.clock.now  # the delivery scan


async def test_personal_data_is_erased_after_the_retention_silently() -> None:
    w = world(personal_data_retention_seconds=30 * DAY)
    await deliver(w, await in_transit(w))
    delivered_at = w.clock.now
    assert forget_at(await stored(w), w.shipping.policy.retention) == delivered_at + timedelta(
        days=30
    )

    await handle_deadlines_on_timer(
        ORDER, delivered_at + timedelta(days=30, seconds=-1), w.shipping
    )
    assert holds_personal(await stored(w))
    await handle_deadlines_on_timer(ORDER, delivered_at + timedelta(days=30), w.shipping)
    assert not holds_personal(await stored(w))
    assert confirmations(w) == []  # nobody asked: nothing to confirm
    assert forget_at(await stored(w), w.shipping.policy.retention) is None  # nothing more due


async def test_an_erasure_after_delivery_is_applied_at_once_and_confirmed_once() -> None:
    w = world()
    await deliver(w, await in_transit(w))
    request = erasure_request()

    await erase_personal_data_on_erasure_requested(request, w.shipping)
    await erase_personal_data_on_erasure_requested(request, w.shipping)  # redelivered

    assert not holds_personal(await stored(w))
    [confirmed] = confirmations(w)
    assert (confirmed.erasure_id, confirmed.deferred) == (request.erasure_id, False)
    assert confirmed.causation_id == request.event_id
    assert (await stored(w)).shipments[0].status is ShipmentStatus.DELIVERED


async def test_a_repeated_request_is_confirmed_again_with_a_new_event() -> None:
    w = world()
    await deliver(w, await in_transit(w))
    await erase_personal_data_on_erasure_requested(erasure_request(), w.shipping)
    await erase_personal_data_on_erasure_requested(erasure_request(), w.shipping)  # asked again
    first, second = confirmations(w)
    assert first.event_id != second.event_id
    assert first.erasure_id == second.erasure_id


async def test_an_erasure_in_flight_waits_for_the_delivery_then_is_confirmed_deferred() -> None:
    w = world()
    shp = await in_transit(w)
    request = erasure_request()
    await erase_personal_data_on_erasure_requested(request, w.shipping)
    assert holds_personal(await stored(w))  # the carrier is still on its way to that address
    assert confirmations(w) == []

    await deliver(w, shp)
    due = forget_at(await stored(w), w.shipping.policy.retention)
    assert due == w.clock.now  # no retention once a buyer asked
    await handle_deadlines_on_timer(ORDER, w.clock.now, w.shipping)
    await handle_deadlines_on_timer(ORDER, w.clock.advance(minutes=1), w.shipping)  # again

    assert not holds_personal(await stored(w))
    [confirmed] = confirmations(w)
    assert (confirmed.erasure_id, confirmed.deferred) == (request.erasure_id, True)


async def test_an_erasure_for_an_order_shipping_never_saw_is_confirmed_at_once() -> None:
    w = world()
    await erase_personal_data_on_erasure_requested(erasure_request(), w.shipping)
    assert len(confirmations(w)) == 1
    # Should the order's acceptance still come (it raced the request), it is shipped, and its
    # data erased as soon as its parcel ends, not after the retention.
    await record_order_on_order_accepted(accepted(ORDER, w.clock), w.shipping)
    fulfilment = await stored(w)
    assert holds_personal(fulfilment)
    assert settled_at(fulfilment) is None
    assert fulfilment.erasure_requested


async def test_no_event_after_an_erasure_holds_the_buyers_data() -> None:
    w = world()
    await deliver(w, await in_transit(w))
    sent_before = len(w.fulfilments.published)
    await erase_personal_data_on_erasure_requested(erasure_request(), w.shipping)
    # A reshipment reserved after the erasure has no address to go to: nothing is booked.
    await plan_shipments_on_stock_reserved(reserved(ORDER, "WH-US-CA1"), w.shipping)
    await handle_deadlines_on_timer(ORDER, w.clock.advance(hours=1), w.shipping)
    later = w.published()[sent_before:]
    assert [m.event_type for _, m in later] == ["ShippingPersonalDataErased"]
    assert not any(holds_personal_data(m) for _, m in later)
