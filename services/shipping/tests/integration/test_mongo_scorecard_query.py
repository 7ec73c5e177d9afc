"""The scorecards' query on the real database: one find returns the fulfilments with a carrier
asked, a decline or a scan in the window (whichever it is), without their order details."""

from datetime import UTC, datetime, timedelta
from typing import Any

from conveyor_contracts.address import Contact, PostalAddress
from conveyor_runtime.metrics import MessagingMetrics
from conveyor_runtime.mongo import KeyedLock, build_mongo_client
from conveyor_runtime.outbox import MongoOutboxStore, OutboxMessage, OutboxRelay
from conveyor_runtime.outlet import Cause
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import Servers
from shipping.adapters.mongo_fulfilments import MongoFulfilments
from shipping.adapters.wire import shipping_outlet
from shipping.domain.scorecards import Figure, scorecards
from shipping.domain.shipment import (
    BookingRequest,
    Fulfilment,
    Line,
    OrderDetails,
    Scan,
    Shipment,
    ShipmentStatus,
)

NOW = datetime.now(UTC).replace(microsecond=0)
SINCE = NOW - timedelta(days=30)
ADDRESS = PostalAddress(
    address_lines=["350 Fifth Avenue"],
    city="New York",
    region="NY",
    postal_code="10118",
    country="US",
)


async def _never_published(_: OutboxMessage) -> None:
    raise AssertionError("no relay runs here")


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def fulfilment(order_id: str, **shipment: Any) -> Fulfilment:
    details = OrderDetails(
        market="US",
        currency="USD",
        service_level="standard",
        ship_to=ADDRESS,
        recipient=Contact(name="A Buyer"),
        unit_prices={"SKU-1": 1000},
        accepted_at=ago(45),
    )
    parcel = Shipment(
        shipment_id=f"shp_{order_id}",
        reservation_id=f"rsv_{order_id}",
        warehouse_id="WH-US-NJ1",
        lines=(Line("SKU-1", 1),),
        carrier_code="swiftpost",
        **shipment,
    )
    return Fulfilment(order_id, order_id, details=details, shipments=(parcel,))


async def test_one_query_finds_what_the_windows_count_and_nothing_older(
    servers: Servers, namespace: str
) -> None:
    metrics = MessagingMetrics()
    mongo: Any = build_mongo_client(
        servers.mongo_url, build_tracer_provider("test", None), metrics=metrics
    )
    database = mongo[f"{namespace}shipping"]
    collection = database["fulfilments"]
    locks = KeyedLock()
    relay = OutboxRelay(MongoOutboxStore(collection), _never_published, locks)
    repository = MongoFulfilments(
        collection, locks, relay, timedelta(hours=48), timedelta(days=90), shipping_outlet()
    )
    stored = [
        # delivered 10 days ago, asked 40 days ago: found by its scans
        fulfilment(
            "ord_scanned",
            status=ShipmentStatus.DELIVERED,
            deliver_by=ago(9),
            scans=(Scan("picked_up", ago(12), "HUB"), Scan("delivered", ago(10), "DOOR")),
            bookings=(BookingRequest("swiftpost", ago(40)),),
        ),
        # asked 31 days ago, declined 29 days ago: found by its decline
        fulfilment("ord_declined", bookings=(BookingRequest("swiftpost", ago(31), ago(29)),)),
        # asked 5 days ago, not yet answered: found by its request
        fulfilment("ord_asked", bookings=(BookingRequest("swiftpost", ago(5)),)),
        # all of it 35 days ago or more
        fulfilment(
            "ord_old",
            status=ShipmentStatus.DELIVERED,
            scans=(Scan("picked_up", ago(36), "HUB"), Scan("delivered", ago(35), "DOOR")),
            bookings=(BookingRequest("swiftpost", ago(40)),),
        ),
        fulfilment("ord_never_asked"),  # stored before requests were kept, never scanned
    ]
    try:
        for each in stored:
            assert await repository.add(each, [], Cause(None, NOW))
        before = metrics.registry.get_sample_value(
            "conveyor_db_commands_total", {"command": "find"}
        )
        active = await repository.active_since(SINCE)
        after = metrics.registry.get_sample_value("conveyor_db_commands_total", {"command": "find"})
    finally:
        await mongo.drop_database(f"{namespace}shipping")
        await mongo.close()

    assert sorted(f.order_id for f in active) == ["ord_asked", "ord_declined", "ord_scanned"]
    assert all(f.details is None for f in active)  # the address stays in the database
    assert (after or 0) - (before or 0) == 1
    cards = scorecards((s for f in active for s in f.shipments), [], NOW)
    assert cards.cards["30d"]["swiftpost"].on_time == Figure(1, 1)
    assert cards.cards["30d"]["swiftpost"].decline == Figure(1, 1)  # asked 5 days ago; 29 ago
