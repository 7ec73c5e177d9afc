"""Personal data with a lifetime, end to end on the real broker and database: a buyer's erasure
request erases what shipping and support keep of the order (at once, or for a parcel still on
its way at its delivery), each confirms once per request, no later event carries the buyer's
data, and the order's status, shipments and timeline still read; without a request, the
retention (seconds here, 90 days in production) erases it silently through the timers."""

import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import doorstep_mesh
import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh
from pymongo import AsyncMongoClient

from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.privacy import holds_personal_data
from conveyor_contracts.topics import CHECKOUT_ERASURES
from conveyor_testkit import Servers, from_example, wait_for

CARRIER = "libertyparcel"  # New York from New Jersey


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, kafka: str) -> AsyncIterator[Mesh]:
    async with running_mesh(servers, kafka) as running:
        yield running


class Buyer:
    """A buyer of their own: name, phone and street no other order in the namespace has."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.name = f"Ada Test{tag}"
        self.phone = f"+1415{random.randrange(10**7):07d}"
        self.street = f"{random.randrange(1, 10**4)} Erasure Avenue {tag}"
        self.secrets = (self.name, self.phone, self.street)

    def ship_to(self) -> dict[str, Any]:
        return {**doorstep_mesh.NEW_YORK, "address_lines": [self.street]}

    def recipient(self) -> dict[str, Any]:
        return {"name": self.name, "phone": self.phone}


async def item(mesh: Mesh) -> str:
    sku = f"SKU-{uuid.uuid4().hex[:8].upper()}"
    await mesh.receive_goods(sku, "WH-US-NJ1", 1)
    return sku


async def in_transit(mesh: Mesh, buyer: Buyer) -> tuple[str, Any, datetime]:
    """An order of the buyer picked up and on its way; its id, booking and first scan time."""
    placed = await mesh.place(
        [(await item(mesh), 1)], ship_to=buyer.ship_to(), recipient=buyer.recipient()
    )
    booking = await mesh.request(CARRIER, placed.order_id)
    assert booking.recipient.name == buyer.name  # the carrier gets what it needs to deliver
    await mesh.accept(CARRIER, booking)
    start = datetime.now(UTC) - timedelta(minutes=10)  # scans dated in the past, a minute apart
    for n, status in enumerate(("picked_up", "in_transit")):
        await mesh.report(CARRIER, mesh.scan(booking, status, start + timedelta(minutes=n)))
    await mesh.until_status(placed.order_id, "picked_up")
    return placed.order_id, booking, start


async def deliver(mesh: Mesh, order_id: str, booking: Any, start: datetime) -> None:
    await mesh.report(CARRIER, mesh.scan(booking, "delivered", start + timedelta(minutes=5)))
    await mesh.until_status(order_id, "delivered")


async def ask_erasure(mesh: Mesh, order_id: str, event_id: uuid.UUID | None = None) -> uuid.UUID:
    request = from_example(
        PersonalDataErasureRequested,
        event_id=str(event_id or uuid.uuid4()),
        order_id=order_id,
        correlation_id=order_id,
        erasure_id=f"era_{uuid.uuid4().hex[:16]}",
    )
    await mesh.publish(CHECKOUT_ERASURES.name, request, order_id)
    return request.event_id


async def documents_of(servers: Servers, mesh: Mesh, order_id: str) -> dict[str, str]:
    """Every document of the namespace's four databases that mentions the order, as JSON text,
    by "database/collection"."""
    found: dict[str, str] = {}
    mongo = AsyncMongoClient[dict[str, Any]](servers.mongo_url, tz_aware=True)
    try:
        for service in ("orders", "inventory", "shipping", "support"):
            database = mongo[f"{mesh.prefix}{service}"]
            for name in await database.list_collection_names():
                async for document in database[name].find():
                    text = json.dumps(document, default=str)
                    if order_id in text:
                        found[f"{service}/{name}"] = found.get(f"{service}/{name}", "") + text
    finally:
        await mongo.close()
    return found


def holding(documents: dict[str, str], secrets: tuple[str, ...]) -> set[str]:
    return {where for where, text in documents.items() if any(s in text for s in secrets)}


def confirmations(mesh: Mesh, order_id: str) -> dict[str, list[Any]]:
    return {
        "shipping": mesh.events("shipping.shipments.v1", order_id, "ShippingPersonalDataErased"),
        "support": mesh.events("support.cases.v1", order_id, "SupportPersonalDataErased"),
    }


def published_since(mesh: Mesh, order_id: str, marks: dict[str, int]) -> list[Any]:
    return [
        event
        for topic, events in mesh.seen.items()
        for event in events[marks.get(topic, 0) :]
        if event.order_id == order_id
    ]


def marks(mesh: Mesh) -> dict[str, int]:
    return {topic: len(events) for topic, events in mesh.seen.items()}


async def test_an_erasure_after_delivery_leaves_no_personal_data_and_is_confirmed_once_per_service(
    mesh: Mesh, servers: Servers
) -> None:
    buyer = Buyer()
    order_id, booking, start = await in_transit(mesh, buyer)
    await deliver(mesh, order_id, booking, start)
    before = await documents_of(servers, mesh, order_id)
    assert holding(before, buyer.secrets) >= {"shipping/fulfilments", "support/cases"}
    assert doorstep_mesh.BUYER_ID in before["support/timelines"]
    since = marks(mesh)

    request_id = await ask_erasure(mesh, order_id)
    await ask_erasure(mesh, order_id, request_id)  # the checkout's retry: the same request

    async def both_confirmed() -> bool:
        return all(confirmations(mesh, order_id).values())

    await wait_for(both_confirmed, within=60, interval=0.1)
    after = await documents_of(servers, mesh, order_id)
    assert holding(after, buyer.secrets) == set()
    assert holding(after, (doorstep_mesh.BUYER_ID,)) == set()

    # A new request is answered again; the retried one was not (same partition: it came first).
    await ask_erasure(mesh, order_id)

    async def confirmed_twice() -> bool:
        return all(len(found) == 2 for found in confirmations(mesh, order_id).values())

    await wait_for(confirmed_twice, within=60, interval=0.1)
    for confirmed in confirmations(mesh, order_id).values():
        assert [c.causation_id == request_id for c in confirmed] == [True, False]
        assert not confirmed[0].deferred
    later = published_since(mesh, order_id, since)
    assert later  # the confirmations at least
    assert not any(holds_personal_data(event) for event in later)
    assert not any(any(s in event.model_dump_json() for s in buyer.secrets) for event in later)

    # The order still reads: its status, its shipment's progress, its timeline.
    assert await mesh.order_status(order_id) == "delivered"
    [shipment] = await mesh.get("shipping", f"/orders/{order_id}/shipments")
    assert shipment["status"] == "delivered"
    assert shipment["tracking_number"]
    timeline = await mesh.get("support", f"/orders/{order_id}/timeline", mesh.agent_token)
    types = [entry["event_type"] for entry in timeline["entries"]]
    assert types[0] == "OrderPlaced"
    assert {"ShipmentDelivered", "PersonalDataErasureRequested"} <= set(types)
    assert {"ShippingPersonalDataErased", "SupportPersonalDataErased"} <= set(types)


async def test_an_erasure_in_flight_waits_for_the_delivery_in_shipping_only(
    mesh: Mesh, servers: Servers
) -> None:
    buyer = Buyer()
    order_id, booking, start = await in_transit(mesh, buyer)
    since = marks(mesh)
    await ask_erasure(mesh, order_id)

    async def support_confirmed() -> bool:
        return bool(confirmations(mesh, order_id)["support"])

    await wait_for(support_confirmed, within=60, interval=0.1)
    # Support keeps nothing it needs for a parcel on its way; shipping's carrier still does.
    assert holding(await documents_of(servers, mesh, order_id), buyer.secrets) == {
        "shipping/fulfilments"
    }
    assert confirmations(mesh, order_id)["shipping"] == []

    await deliver(mesh, order_id, booking, start)
    [confirmed] = await wait_for(
        lambda: _shipping_confirmation(mesh, order_id), within=60, interval=0.1
    )
    assert confirmed.deferred
    assert holding(await documents_of(servers, mesh, order_id), buyer.secrets) == set()
    later = published_since(mesh, order_id, since)
    assert not any(holds_personal_data(e) for e in later if e.event_type != "BookShipment")
    assert [e for e in later if e.event_type == "BookShipment"] == []  # nothing re-booked
    assert await mesh.order_status(order_id) == "delivered"


async def _shipping_confirmation(mesh: Mesh, order_id: str) -> list[Any] | None:
    return confirmations(mesh, order_id)["shipping"] or None


async def test_without_a_request_the_retention_erases_silently_through_the_timers(
    servers: Servers, kafka: str
) -> None:
    retention = {"personal_data_retention_seconds": 3}
    async with running_mesh(servers, kafka, every_service=retention) as short:
        buyer = Buyer()
        order_id, booking, start = await in_transit(short, buyer)
        assert holding(await documents_of(servers, short, order_id), buyer.secrets)
        await deliver(short, order_id, booking, start)

        async def erased() -> bool:
            documents = await documents_of(servers, short, order_id)
            return not holding(documents, buyer.secrets)

        await wait_for(erased, within=60, interval=0.5)
        assert confirmations(short, order_id) == {"shipping": [], "support": []}
        assert await short.order_status(order_id) == "delivered"
        timeline = await short.get("support", f"/orders/{order_id}/timeline", short.agent_token)
        assert "ShipmentDelivered" in [entry["event_type"] for entry in timeline["entries"]]
