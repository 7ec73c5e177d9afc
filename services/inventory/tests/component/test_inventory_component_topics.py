"""Inventory against the topic registry: it reads every topic the registry names it a consumer
of, handles every event type they carry, and publishes every event type of its own topics, each
as its contract says (the ``inventory`` fixture parses everything it published)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from inbound_component import announce, body, in_days, received
from inventory_component import CONSUMED, PRODUCED, SKU, InventoryComponent, accepted, event

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.inbound import (
    InboundDiscrepancyFound,
    InboundShipmentAnnounced,
    InboundShipmentReconciled,
)
from conveyor_contracts.inventory import (
    StockBackordered,
    StockCommitted,
    StockReleased,
    StockReserved,
    StockRestocked,
    StockShortage,
)
from conveyor_contracts.orders import OrderCancelled
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.stock import LowStockDetected, StockLevelChanged
from conveyor_contracts.support import ReshipmentApproved
from conveyor_contracts.topics import (
    INVENTORY_INBOUND,
    INVENTORY_RESERVATIONS,
    INVENTORY_STOCK,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    WAREHOUSE_RECEIPTS,
    WAREHOUSE_RETURNS,
)
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.tokens import Issuer

CONSUMED_EVENTS = [(spec, model) for spec in CONSUMED for model in spec.events]


def test_inventory_reads_exactly_the_topics_the_registry_names_it_a_consumer_of(
    inventory: InventoryComponent,
) -> None:
    subscribed = {
        (subscriber.group_id, topic.name)
        for subscriber in inventory.deps.infra.broker.subscribers
        for topic in subscriber.topics
    }
    group = inventory.settings.topic("inventory")
    assert subscribed == {(group, inventory.topic(spec)) for spec in CONSUMED}


@pytest.mark.parametrize(
    ("spec", "model"),
    CONSUMED_EVENTS,
    ids=[f"{spec.name}:{model.__name__}" for spec, model in CONSUMED_EVENTS],
)
async def test_every_event_type_inventory_consumes_is_handled_for_an_order_it_knows(
    inventory: InventoryComponent, spec: TopicSpec[Any], model: type[Envelope]
) -> None:
    order, _ = await inventory.reserve()
    handled_before = inventory.consumed(spec, "ok")

    await inventory.publish(spec, event(model, order.order_id))

    assert inventory.consumed(spec, "ok") == handled_before + 1
    assert inventory.consumed(spec, "dead_lettered") == 0
    assert inventory.waiting(spec, dead_letter=True) == 0


async def test_every_event_type_inventory_produces_is_published_as_its_contract_says(
    inventory: InventoryComponent, token_issuer: Issuer
) -> None:
    # 8 on the shelf, reserved down to the low-stock threshold (5, the default), dispatched.
    await inventory.receive(5)
    order, reserved = await inventory.reserve(quantity=3)
    shipped = event(
        ShipmentDispatched,
        order.order_id,
        reservation_id=reserved.reservation_id,
        warehouse_id=reserved.allocations[0].warehouse_id,
        lines=[{"sku": SKU, "quantity": 3}],
    )
    await inventory.publish(SHIPPING_SHIPMENTS, shipped)
    committed = await inventory.next_event(INVENTORY_RESERVATIONS)
    await inventory.publish(WAREHOUSE_RETURNS, event(ReturnInspected, order.order_id))
    restocked = await inventory.next_event(INVENTORY_RESERVATIONS)
    # A reshipment of a SKU no warehouse has: reported short at once, whatever the policy.
    missing = [{"sku": "MUG-WHT-OS", "quantity": 1}]
    reshipment = event(ReshipmentApproved, order.order_id, lines=missing)
    await inventory.publish(SUPPORT_CASES, reshipment)
    short = await inventory.next_event(INVENTORY_RESERVATIONS)
    backordered_order = accepted("ord_waiting_for_mugs", 1, sku="MUG-WHT-OS")
    await inventory.publish(ORDER_LIFECYCLE, backordered_order)
    backordered = await inventory.next_event(INVENTORY_RESERVATIONS)
    cancelled_order, _ = await inventory.reserve()
    await inventory.publish(ORDER_LIFECYCLE, event(OrderCancelled, cancelled_order.order_id))
    released = await inventory.next_event(INVENTORY_RESERVATIONS)

    in_order = [reserved, committed, restocked, short, backordered, released]
    assert [type(told) for told in in_order] == [
        StockReserved,
        StockCommitted,
        StockRestocked,
        StockShortage,
        StockBackordered,
        StockReleased,
    ]
    stock_events = {type(told) for told in await inventory.taken(INVENTORY_STOCK)}
    assert stock_events == {StockLevelChanged, LowStockDetected}
    # A seller's inbound shipment, due today, received whole two days late.
    async with inventory.http_api() as api:
        posted = await announce(api, token_issuer, body(("CAP-RED-OS", 1), arrival=in_days(0)))
    late = datetime.now(UTC) + timedelta(days=2)
    receipt = received(posted.json()["asn_id"], 1, sku="CAP-RED-OS", at=late)
    await inventory.publish(WAREHOUSE_RECEIPTS, receipt)
    inbound_events = [type(told) for told in await inventory.taken(INVENTORY_INBOUND)]
    assert inbound_events == [
        InboundShipmentAnnounced,
        InboundDiscrepancyFound,
        InboundShipmentReconciled,
    ]
    published = {inventory.parsed(message).event_type for message in inventory.published}
    assert published == {model.__name__ for spec in PRODUCED for model in spec.events}
