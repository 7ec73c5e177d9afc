"""Returns and reshipments through real Kafka and FerretDB: an inspection delivered twice
restocks its parcel once, and a reshipment approved twice is reserved once, with its case id."""

import asyncio
import uuid
from typing import Any

from inventory_fixtures import INVENTORY_TOPICS, Harness, running
from pymongo import AsyncMongoClient

from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from conveyor_contracts.support import CaseOpened, ReshipmentApproved
from conveyor_contracts.topics import (
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    WAREHOUSE_RECEIPTS,
    WAREHOUSE_RETURNS,
)
from conveyor_contracts.warehouse import GoodsReceived, ReturnInspected, ReturnReceived
from conveyor_testkit import CreateTopics, Servers, from_example, wait_for

RESERVATIONS = INVENTORY_RESERVATIONS.name
WAREHOUSE = "WH-US-NJ1"


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


class Reader:
    """Reservation events as they arrive."""

    def __init__(self, harness: Harness) -> None:
        self.queue = harness.received[RESERVATIONS]
        self.seen: list[Any] = []

    async def until(self, event_type: str, **fields: Any) -> Any:
        def match(e: Any) -> bool:
            return e.event_type == event_type and all(getattr(e, k) == v for k, v in fields.items())

        while not any(match(e) for e in self.seen):
            message = await asyncio.wait_for(self.queue.get(), timeout=60)
            self.seen.append(INVENTORY_RESERVATIONS.adapter.validate_json(message.body))
        return next(e for e in self.seen if match(e))

    def count(self, event_type: str, **fields: Any) -> int:
        return sum(
            e.event_type == event_type and all(getattr(e, k) == v for k, v in fields.items())
            for e in self.seen
        )


async def reserved_order(harness: Harness, reader: Reader, sku: str, on_hand: int) -> Any:
    """Stock of ``sku`` in WH-US-NJ1 and an order of 2 units of it, reserved there."""
    receipt = from_example(
        GoodsReceived,
        sku=sku,
        warehouse_id=WAREHOUSE,
        quantity=on_hand,
        receipt_ref=unique("GRN-").upper(),
        correlation_id=sku,
    )
    await harness.publish(WAREHOUSE_RECEIPTS.name, receipt, key=sku)
    order_id = unique("ord_")
    line = {"sku": sku, "quantity": 2, "unit_price": {"amount_minor": 999, "currency": "USD"}}
    order = from_example(OrderAccepted, order_id=order_id, correlation_id=order_id, lines=[line])
    # The receipt is on another topic: wait until it is applied before the order asks for it.
    await wait_for(lambda: level(harness, sku), within=60)
    await harness.publish(ORDER_LIFECYCLE.name, order, key=order_id)
    return await reader.until("StockReserved", order_id=order_id)


async def level(harness: Harness, sku: str) -> dict[str, Any] | None:
    """The stock document of ``sku`` in WH-US-NJ1, as stored."""
    mongo = AsyncMongoClient[dict[str, Any]](harness.settings.mongo_url)
    try:
        database = mongo[harness.settings.mongo_database]
        return await database["stock"].find_one({"_id": f"{WAREHOUSE}|{sku}"})
    finally:
        await mongo.close()


async def test_an_inspection_delivered_twice_restocks_the_parcel_once(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku = unique("SKU-").upper()
    async with running(servers, kafka, namespace, (RESERVATIONS,)) as harness:
        reader = Reader(harness)
        reserved = await reserved_order(harness, reader, sku, on_hand=2)
        order_id = reserved.order_id
        shipment_id = unique("shp_")
        dispatched = from_example(
            ShipmentDispatched,
            order_id=order_id,
            correlation_id=order_id,
            shipment_id=shipment_id,
            reservation_id=reserved.reservation_id,
            warehouse_id=WAREHOUSE,
            lines=[{"sku": sku, "quantity": 2}],
        )
        await harness.publish(SHIPPING_SHIPMENTS.name, dispatched, key=order_id)
        await reader.until("StockCommitted", order_id=order_id)

        parcel = {
            "order_id": order_id,
            "correlation_id": order_id,
            "shipment_id": shipment_id,
            "warehouse_id": WAREHOUSE,
        }
        await harness.publish(
            WAREHOUSE_RETURNS.name, from_example(ReturnReceived, **parcel), key=order_id
        )
        inspected = from_example(
            ReturnInspected,
            **parcel,
            lines=[
                {"sku": sku, "quantity": 1, "condition": "resellable"},
                {"sku": sku, "quantity": 1, "condition": "damaged"},
            ],
        )
        for _ in range(2):  # a redelivery: the same event again
            await harness.publish(WAREHOUSE_RETURNS.name, inspected, key=order_id)
        # A later parcel of the same order, all damaged, on the same partition: once its
        # StockRestocked is out, both deliveries of the first inspection were handled.
        later = from_example(
            ReturnInspected,
            **(parcel | {"shipment_id": unique("shp_")}),
            lines=[{"sku": sku, "quantity": 1, "condition": "damaged"}],
        )
        await harness.publish(WAREHOUSE_RETURNS.name, later, key=order_id)
        restocked = await reader.until("StockRestocked", shipment_id=shipment_id)
        await reader.until("StockRestocked", shipment_id=later.shipment_id)
        stored = await level(harness, sku)

    assert reader.count("StockRestocked", shipment_id=shipment_id) == 1
    assert restocked.causation_id == inspected.event_id
    assert restocked.rma_id == inspected.rma_id
    assert [(s.sku, s.quantity) for s in restocked.restocked] == [(sku, 1)]
    assert [(s.sku, s.quantity) for s in restocked.written_off] == [(sku, 1)]
    assert stored is not None
    # 2 received, 2 shipped, 1 resellable back; damaged units never come back.
    assert (stored["on_hand"], stored["reserved"]) == (1, 0)


async def test_a_reshipment_approved_twice_is_reserved_once_with_its_case(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*INVENTORY_TOPICS)
    sku = unique("SKU-").upper()
    async with running(servers, kafka, namespace, (RESERVATIONS,)) as harness:
        reader = Reader(harness)
        reserved = await reserved_order(harness, reader, sku, on_hand=10)
        order_id = reserved.order_id
        case_id, later_case_id = unique("case_"), unique("case_")
        case = {"order_id": order_id, "correlation_id": order_id, "case_id": case_id}
        # Other case events are none of inventory's business.
        await harness.publish(SUPPORT_CASES.name, from_example(CaseOpened, **case), key=order_id)
        approved = from_example(ReshipmentApproved, **case, lines=[{"sku": sku, "quantity": 3}])
        for _ in range(2):  # a redelivery: the same event again
            await harness.publish(SUPPORT_CASES.name, approved, key=order_id)
        later = from_example(
            ReshipmentApproved,
            **(case | {"case_id": later_case_id}),
            lines=[{"sku": sku, "quantity": 1}],
        )
        await harness.publish(SUPPORT_CASES.name, later, key=order_id)
        reshipped = await reader.until("StockReserved", case_id=case_id)
        await reader.until("StockReserved", case_id=later_case_id)
        stored = await level(harness, sku)

    assert reader.count("StockReserved", case_id=case_id) == 1
    assert reshipped.order_id == order_id
    assert reshipped.causation_id == approved.event_id
    assert reshipped.reservation_id != reserved.reservation_id
    allocations = [
        (a.warehouse_id, [(s.sku, s.quantity) for s in a.lines]) for a in reshipped.allocations
    ]
    assert allocations == [(WAREHOUSE, [(sku, 3)])]
    assert stored is not None
    # The order's 2, the case's 3 once, the later case's 1.
    assert (stored["on_hand"], stored["reserved"]) == (10, 6)
    assert reader.count("StockShortage") == 0
