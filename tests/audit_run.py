"""Runs for the invariant auditor's tests (conveyor_local.audit) on the real servers: a namespace
of its own filled with a run's messages and documents (delivered orders consistent everywhere,
stock, statuses, bookings, dead letters), then audited; and which invariants the audit found
broken."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel
from pymongo import AsyncMongoClient

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.orders import OrderStatusChanged
from conveyor_contracts.shipping.booking import ShipmentBooked, ShipmentConfirmed
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    SUPPORT_REFUNDS,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_local.audit import auditor
from conveyor_local.audit.result import Audit, Invariant, Violation
from conveyor_testkit import CreateTopics, Servers, from_example

WAREHOUSE, SKU, CARRIER = "WH-US-NJ1", "TEE-BLK-M", "swiftpost"
TOPICS = (
    CHECKOUT_ORDERS,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    INVENTORY_RESERVATIONS,
    WAREHOUSE_RECEIPTS,
    SUPPORT_REFUNDS,
)


def _id(kind: str) -> str:
    return f"{kind}_{uuid.uuid4().hex[:16]}"


@dataclass
class Run:
    """A namespace being filled with a run's messages and documents, then audited."""

    servers: Servers
    prefix: str
    messages: list[tuple[str, str, BaseModel | bytes, dict[str, str]]] = field(default_factory=list)
    documents: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def publish(
        self, spec: TopicSpec[Any], key: str, message: BaseModel | bytes, **headers: str
    ) -> None:
        self.messages.append((spec.name, key, message, headers))

    def park(self, spec: TopicSpec[Any], key: str, reason: str) -> None:
        """A dead letter as the runtime's consumer writes one."""
        self.messages.append((spec.dead_letter, key, b"{}", {"x-dlq-reason": reason}))

    def store(self, service: str, collection: str, document: dict[str, Any]) -> None:
        self.documents.append((service, collection, document))

    def delivered_order(self, units: int = 2) -> str:
        """An order placed, reserved, booked, confirmed, shipped and delivered, consistently
        everywhere, its units taken from stock (``stock`` must add the receipt)."""
        order_id, shipment_id, reservation_id = _id("ord"), _id("shp"), _id("rsv")
        placed = from_example(OrderPlaced, order_id=order_id, correlation_id=order_id)
        self.publish(CHECKOUT_ORDERS, order_id, placed)
        self.statuses(order_id, "accepted", "awaiting_pickup", "shipped", "delivered")
        self.store("orders", "orders", {"_id": order_id, "status": "delivered"})
        self.book(order_id, shipment_id)
        self.confirm(order_id, shipment_id)
        self.store("shipping", "fulfilments", _fulfilment(order_id, shipment_id, "delivered"))
        self.store(
            "inventory",
            "reservations",
            {
                "_id": order_id,
                "order_id": order_id,
                "reservation_id": reservation_id,
                "status": "reserved",
                "allocations": [
                    {"warehouse_id": WAREHOUSE, "lines": [{"sku": SKU, "units": units}]}
                ],
                "committed": [WAREHOUSE],
                "returned": [],
            },
        )
        return order_id

    def statuses(self, order_id: str, *statuses: str) -> None:
        for status in statuses:
            changed = from_example(
                OrderStatusChanged, order_id=order_id, correlation_id=order_id, status=status
            )
            self.publish(ORDER_STATUS, order_id, changed)

    def book(self, order_id: str, shipment_id: str, carrier: str = CARRIER) -> None:
        booked = from_example(
            ShipmentBooked,
            order_id=order_id,
            correlation_id=order_id,
            shipment_id=shipment_id,
            carrier_code=carrier,
        )
        self.publish(SHIPPING_SHIPMENTS, order_id, booked)

    def confirm(self, order_id: str, shipment_id: str, carrier: str = CARRIER) -> None:
        confirmed = from_example(
            ShipmentConfirmed,
            order_id=order_id,
            correlation_id=order_id,
            shipment_id=shipment_id,
            carrier_code=carrier,
            tracking_number=_tracking(shipment_id),
        )
        self.publish(SHIPPING_SHIPMENTS, order_id, confirmed)

    def stock(self, received: int, on_hand: int, **fields: Any) -> None:
        receipt = from_example(
            GoodsReceived, sku=SKU, warehouse_id=WAREHOUSE, quantity=received, receipt_ref="GRN-1"
        )
        self.publish(WAREHOUSE_RECEIPTS, SKU, receipt)
        document = {
            "_id": f"{WAREHOUSE}|{SKU}",
            "warehouse_id": WAREHOUSE,
            "sku": SKU,
            "on_hand": on_hand,
            "reserved": 0,
            "available": on_hand,
            "holds": {},
            "applied": ["GRN-1"],
        }
        self.store("inventory", "stock", document | fields)

    async def audit(self, **options: Any) -> Audit:
        """Write what was added since the last audit, then audit the namespace."""
        producer = AIOKafkaProducer(**self.servers.kafka_login.options())
        await producer.start()
        try:
            for topic, key, message, headers in self.messages:
                value = (
                    message if isinstance(message, bytes) else message.model_dump_json().encode()
                )
                await producer.send_and_wait(
                    self.prefix + topic,
                    value,
                    key=key.encode(),
                    headers=[(name, text.encode()) for name, text in headers.items()],
                )
        finally:
            await producer.stop()
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.servers.mongo_url)
        try:
            for service, collection, document in self.documents:
                await mongo[self.prefix + service][collection].insert_one(document)
        finally:
            await mongo.close()
        self.messages.clear()
        self.documents.clear()
        return await auditor.audit(
            self.servers.kafka,
            self.servers.mongo_url,
            self.prefix,
            quiet_within=0,
            credentials=self.servers.kafka_login.credentials(),
            **options,
        )


def _tracking(shipment_id: str) -> str:
    return "SP" + shipment_id.removeprefix("shp_").upper()[:16]


def _fulfilment(order_id: str, shipment_id: str, status: str) -> dict[str, Any]:
    shipment = {
        "shipment_id": shipment_id,
        "status": status,
        "carrier_code": CARRIER,
        "tracking_number": _tracking(shipment_id),
        "returning": None,
    }
    return {"_id": order_id, "shipments": [shipment]}


@pytest.fixture
async def run(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> AsyncIterator[Run]:
    await create_topics(*TOPICS)
    yield Run(servers, namespace)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    try:
        for service in ("orders", "inventory", "shipping", "support"):
            await mongo.drop_database(namespace + service)
    finally:
        await mongo.close()


def _by_name(result: Audit) -> dict[str, Invariant]:
    return {invariant.name: invariant for invariant in result.invariants}


def _only_broken(result: Audit, name: str) -> list[Violation]:
    """The violations of ``name``, asserting every other invariant held."""
    broken = {i.name for i in result.invariants if not i.held}
    assert broken == {name}, (result.messages, result.table())
    return _by_name(result)[name].violations
