"""The invariant auditor on small namespaces of its own, on the real servers: a run where
everything holds, and for each invariant a run that breaks it (and only it), named by the
offending order id or key."""

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import BaseModel
from pymongo import AsyncMongoClient

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockRestocked
from conveyor_contracts.orders import OrderStatusChanged
from conveyor_contracts.shipping.booking import ShipmentBooked, ShipmentConfirmed
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.support import RefundRequested
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    SUPPORT_REFUNDS,
    TOPICS_BY_NAME,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_runtime.outbox import outbox_message
from conveyor_runtime.testing import CreateTopics, Servers, from_example, repository_root

sys.path.insert(0, str(repository_root() / "deploy" / "local"))
import audit  # a script's module: found beside the scripts that import it

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

    async def audit(self, **options: Any) -> audit.Audit:
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
        return await audit.audit(
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


def _by_name(result: audit.Audit) -> dict[str, audit.Invariant]:
    return {invariant.name: invariant for invariant in result.invariants}


def _only_broken(result: audit.Audit, name: str) -> list[audit.Violation]:
    """The violations of ``name``, asserting every other invariant held."""
    broken = {i.name for i in result.invariants if not i.held}
    assert broken == {name}, (result.messages, result.table())
    return _by_name(result)[name].violations


async def test_a_consistent_run_holds_every_invariant(run: Run) -> None:
    run.delivered_order(units=2)
    run.delivered_order(units=3)
    run.stock(received=10, on_hand=5)

    result = await run.audit()

    assert result.held, result.table()
    checked = {i.name: i.checked for i in result.invariants}
    assert checked["orders_ended"] == checked["status_monotonic"] == 2
    assert checked["one_confirmed_booking"] == 2
    assert checked["stock_conserved"] == 1
    assert result.to_json()["held"] is True
    assert result.messages == 2 + 8 + 4 + 1


async def test_an_order_lost_or_left_in_flight_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    never_stored = _id("ord")
    run.publish(CHECKOUT_ORDERS, never_stored, from_example(OrderPlaced, order_id=never_stored))
    in_flight = _id("ord")
    run.publish(CHECKOUT_ORDERS, in_flight, from_example(OrderPlaced, order_id=in_flight))
    run.statuses(in_flight, "accepted")
    run.store("orders", "orders", {"_id": in_flight, "status": "accepted"})

    violations = _only_broken(await run.audit(), "orders_ended")

    assert {v.ids[0]: v.reason for v in violations} == {
        never_stored: "placed, but not in the orders database",
        in_flight: "still accepted: neither at an end nor waiting",
    }


async def test_a_lost_parcel_waits_only_while_its_case_is_open(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    lost = {}
    for case_settled, reshipment in ((False, None), (True, None), (True, "booking_failed")):
        order_id, shipment_id = _id("ord"), _id("shp")
        run.publish(CHECKOUT_ORDERS, order_id, from_example(OrderPlaced, order_id=order_id))
        run.statuses(order_id, "accepted", "awaiting_pickup", "shipped", "lost")
        run.store("orders", "orders", {"_id": order_id, "status": "lost"})
        run.book(order_id, shipment_id)
        run.confirm(order_id, shipment_id)
        fulfilment = _fulfilment(order_id, shipment_id, "lost")
        if reshipment is not None:  # ...booked by no carrier: its own case waits for an agent
            fulfilment["shipments"].append({"shipment_id": _id("shp"), "status": reshipment})
        run.store("shipping", "fulfilments", fulfilment)
        case = {"case_id": _id("case"), "kind": "lost_parcel", "status": "open", "settlement": None}
        if case_settled:  # ...by a reshipment, which never came unless one failed its booking
            case["settlement"] = {"action": "reship"}
        run.store("support", "cases", {"_id": order_id, "cases": [case]})
        lost[case_settled, reshipment] = order_id

    violations = _only_broken(await run.audit(), "orders_ended")

    assert [v.ids[0] for v in violations] == [lost[True, None]]


async def test_a_return_waits_only_when_no_carrier_would_collect_it(run: Run) -> None:
    run.stock(received=10, on_hand=6)
    returns = {}
    for pickup in ("booking_failed", "booking_requested"):
        order_id = run.delivered_order(units=2)
        run.statuses(order_id, "return_in_progress")
        stored = next(d for s, c, d in run.documents if c == "orders" and d["_id"] == order_id)
        stored["status"] = "return_requested"
        fulfilment = next(
            d for s, c, d in run.documents if c == "fulfilments" and d["_id"] == order_id
        )
        back = {"shipment_id": _id("shp"), "status": pickup, "returning": {"rma_id": _id("rma")}}
        fulfilment["shipments"].append(back)
        returns[pickup] = order_id

    violations = _only_broken(await run.audit(), "orders_ended")

    assert [v.ids[0] for v in violations] == [returns["booking_requested"]]


async def test_a_status_going_back_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=8)
    order_id = run.delivered_order(units=2)
    run.statuses(order_id, "awaiting_pickup", "delivered")  # after shipped and delivered

    violations = _only_broken(await run.audit(), "status_monotonic")

    assert [(v.ids, v.reason) for v in violations] == [
        ((order_id,), "delivered -> awaiting_pickup goes back")
    ]


async def test_a_status_that_shares_a_public_name_is_not_a_regression(run: Run) -> None:
    """Reserved and booked both show as awaiting_pickup; returned covers a return back at the
    warehouse (below refund_requested) as well as a parcel returned to sender."""
    run.stock(received=10, on_hand=10)
    order_id = _id("ord")
    run.publish(CHECKOUT_ORDERS, order_id, from_example(OrderPlaced, order_id=order_id))
    run.statuses(
        order_id, "accepted", "awaiting_pickup", "awaiting_pickup", "shipped", "delivered",
        "return_in_progress", "returned", "refund_requested",
    )  # fmt: skip
    run.store("orders", "orders", {"_id": order_id, "status": "refund_requested"})

    assert (await run.audit()).held


async def test_a_booking_confirmed_twice_or_by_another_carrier_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=6)
    twice = run.delivered_order(units=2)
    twice_shipment = next(
        d for s, c, d in run.documents if d["_id"] == twice and c == "fulfilments"
    )
    run.confirm(twice, twice_shipment["shipments"][0]["shipment_id"])
    stranger = run.delivered_order(units=2)
    stranger_shipment = next(
        d for s, c, d in run.documents if d["_id"] == stranger and c == "fulfilments"
    )
    run.confirm(stranger, stranger_shipment["shipments"][0]["shipment_id"], carrier="libertyparcel")

    violations = _only_broken(await run.audit(), "one_confirmed_booking")

    assert {v.ids[0]: v.reason for v in violations} == {
        twice: "booking with swiftpost confirmed twice",
        stranger: "confirmed by libertyparcel, booked with swiftpost",
    }


async def test_a_carrier_holding_a_parcel_without_a_confirmed_booking_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    order_id, shipment_id = _id("ord"), _id("shp")
    run.publish(CHECKOUT_ORDERS, order_id, from_example(OrderPlaced, order_id=order_id))
    run.statuses(order_id, "accepted", "awaiting_pickup", "shipped", "delivered")
    run.store("orders", "orders", {"_id": order_id, "status": "delivered"})
    run.book(order_id, shipment_id)
    run.store("shipping", "fulfilments", _fulfilment(order_id, shipment_id, "delivered"))

    violations = _only_broken(await run.audit(), "one_confirmed_booking")

    assert [v.ids for v in violations] == [(order_id, shipment_id)]


async def test_a_parcel_restocked_twice_and_an_rma_refunded_twice_are_named(run: Run) -> None:
    run.stock(received=10, on_hand=8)
    restocked = run.delivered_order(units=2)
    shipment_id, rma_id = _id("shp"), _id("rma")
    for _ in range(2):  # two events, two ids: not a re-publish of one
        event = from_example(
            StockRestocked,
            order_id=restocked,
            shipment_id=shipment_id,
            warehouse_id=WAREHOUSE,
            restocked=(),
            written_off=({"sku": SKU, "quantity": 1},),
        )
        run.publish(INVENTORY_RESERVATIONS, restocked, event)
    refunded = run.delivered_order(units=0)
    refund = from_example(RefundRequested, order_id=refunded, rma_id=rma_id)
    run.publish(SUPPORT_REFUNDS, refunded, refund)
    run.publish(SUPPORT_REFUNDS, refunded, refund)  # the same event re-published: one request
    another = from_example(RefundRequested, order_id=refunded, rma_id=rma_id, refund_id=_id("rfd"))
    run.publish(SUPPORT_REFUNDS, refunded, another)

    violations = _only_broken(await run.audit(), "one_restock_and_refund")

    assert {v.ids: v.reason for v in violations} == {
        (restocked, shipment_id): "restocked 2 times",
        (refunded, rma_id): "2 refund requests for one RMA",
    }


async def test_stock_that_does_not_add_up_is_named(run: Run) -> None:
    run.delivered_order(units=2)
    run.stock(received=10, on_hand=9)  # 10 received - 2 shipped is 8

    violations = _only_broken(await run.audit(), "stock_conserved")

    assert [(v.ids, v.reason) for v in violations] == [
        ((f"{SKU}@{WAREHOUSE}",), "on hand 9, but received 10 + restocked 0 - shipped 2 = 8")
    ]


async def test_a_hold_left_by_a_shipped_reservation_is_named(run: Run) -> None:
    order_id = run.delivered_order(units=2)
    reservation = next(d for s, c, d in run.documents if c == "reservations")
    run.stock(
        received=10,
        on_hand=8,
        reserved=2,
        available=6,
        holds={reservation["reservation_id"]: 2},  # committed, but its hold was never removed
    )

    violations = _only_broken(await run.audit(), "stock_conserved")

    assert [v.ids for v in violations] == [(f"{SKU}@{WAREHOUSE}", reservation["reservation_id"])]
    assert order_id == reservation["order_id"]


async def test_an_unpublished_outbox_entry_is_named(run: Run) -> None:
    run.stock(received=10, on_hand=8)
    order_id = run.delivered_order(units=2)
    stored = next(d for s, c, d in run.documents if c == "orders" and d["_id"] == order_id)
    status = from_example(
        OrderStatusChanged, order_id=order_id, correlation_id=order_id, status="delivered"
    )
    stored["outbox"] = [outbox_message(status, topic="orders.status.v1", key=order_id).model_dump()]

    violations = _only_broken(await run.audit(), "outboxes_drained")

    assert [v.ids for v in violations] == [(order_id,)]
    assert "OrderStatusChanged" in violations[0].reason


async def test_only_the_dead_letters_the_run_did_not_mean_are_named(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    meant, valid = _id("ord"), _id("ord")
    run.park(CHECKOUT_ORDERS, meant, "ValidationError: 1 validation error for OrderPlaced")
    run.park(CHECKOUT_ORDERS, valid, "ConcurrentUpdateError: conflicts with another process")
    expected = [audit.ExpectedDeadLetter(CHECKOUT_ORDERS.name, "ValidationError")]

    violations = _only_broken(
        await run.audit(expected_dead_letters=expected), "dead_letters_expected"
    )

    assert [v.ids for v in violations] == [(valid,)]
    assert _by_name(await run.audit())["dead_letters_expected"].checked == 2


async def test_a_group_behind_its_topic_is_named(run: Run) -> None:
    run.delivered_order(units=2)
    run.stock(received=10, on_hand=8)
    group = run.prefix + "orders"
    first = await run.audit()  # publishes; nothing consumed by a group yet
    assert first.held, first.table()
    await _commit(run, group, CHECKOUT_ORDERS, offset=0)

    violations = _only_broken(await run.audit(), "consumer_lag_zero")

    assert {v.ids for v in violations} == {(group,)}
    # The registry's topics of the orders group are measured too, committed on or not.
    measured = _by_name(await run.audit())["consumer_lag_zero"].checked
    orders_topics = [s for s in TOPICS_BY_NAME.values() if "orders" in s.consumers]
    assert measured == sum(s.partitions for s in orders_topics if s in TOPICS)


async def _commit(run: Run, group: str, spec: TopicSpec[Any], *, offset: int) -> None:
    """Commit ``offset`` on every partition of ``spec``'s topic for ``group``, joining nothing."""
    consumer = AIOKafkaConsumer(
        **run.servers.kafka_login.options(), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        topic = run.prefix + spec.name
        partitions = [TopicPartition(topic, p) for p in range(spec.partitions)]
        consumer.assign(partitions)
        await consumer.commit(dict.fromkeys(partitions, offset))
    finally:
        await consumer.stop()


async def test_skipped_invariants_are_reported_not_claimed(run: Run) -> None:
    run.stock(received=10, on_hand=10)
    in_flight = _id("ord")
    run.publish(CHECKOUT_ORDERS, in_flight, from_example(OrderPlaced, order_id=in_flight))
    run.store("orders", "orders", {"_id": in_flight, "status": "accepted"})

    result = await run.audit(skip={"orders_ended": "the phase was cut short"})

    assert result.held
    skipped = _by_name(result)["orders_ended"]
    assert (skipped.held, skipped.skipped, skipped.violations) == (
        False,
        "the phase was cut short",
        [],
    )
    with pytest.raises(ValueError, match="no such invariant"):
        await audit.audit(run.servers.kafka, run.servers.mongo_url, run.prefix, skip={"x": ""})
