"""The inventory app running in memory and the mesh around it, for the component tests.

The test plays the rest of the mesh on a broker of its own (``mesh``): it publishes what
orders, shipping, the warehouses and support would, and receives what inventory publishes and
what it parks on dead-letter topics. (A module of its own, uniquely named: test folders have no
``__init__.py``, so every service's ``conftest`` is a module called ``conftest``.)
"""

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import INVENTORY_RESERVATIONS, ORDER_LIFECYCLE, WAREHOUSE_RECEIPTS
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_testkit import from_example
from conveyor_testkit.component import ComponentHarness, new_order_id
from inventory.app import InventoryDeps
from inventory.settings import InventorySettings

SKU = "TEE-BLK-M"  # the SKU of the contracts' examples
WAREHOUSE = "WH-US-NJ1"  # the US warehouse an order of the examples' market is served from first
SELLER = "sel_01J9ZA4S7K2L"  # the seller of the examples' SKU and receipts

E = TypeVar("E", bound=BaseModel)


@dataclass(kw_only=True)
class InventoryComponent(ComponentHarness):
    """The running inventory app and the mesh around it."""

    service: ClassVar[str] = "inventory"
    settings: InventorySettings
    deps: InventoryDeps

    async def taken(self, spec: TopicSpec[E]) -> list[E]:
        """Every event inventory published on ``spec`` and no test took yet, once its relays
        have published all there is, parsed with the topic's contract."""
        await self.settled()
        queue = self.received[self.topic(spec)]
        return [spec.adapter.validate_json(queue.get_nowait().body) for _ in range(queue.qsize())]

    async def settled(self) -> None:
        """Wait until the relays have published every event inventory's writes left in an
        outbox: after it, what a test has not received was never emitted."""
        await self.relayed(
            self.deps.reservations_relay, self.deps.stock_relay, self.deps.inbound.relay
        )

    async def receive(self, units: int, *, sku: str = SKU, warehouse_id: str = WAREHOUSE) -> None:
        """Goods received at a warehouse, as it reports them."""
        await self.publish(WAREHOUSE_RECEIPTS, goods_received(units, sku=sku, at=warehouse_id))

    async def reserve(
        self, quantity: int = 2, *, sku: str = SKU
    ) -> tuple[OrderAccepted, StockReserved]:
        """An order accepted by orders with its units in stock, and the reservation inventory
        told of it (the stock events on the way are left for the test)."""
        await self.receive(quantity, sku=sku)
        order = accepted(new_order_id(), quantity, sku=sku)
        await self.publish(ORDER_LIFECYCLE, order)
        reserved = await self.next_event(INVENTORY_RESERVATIONS)
        assert isinstance(reserved, StockReserved)
        return order, reserved


def event(model: type[E], order_id: str, **fields: Any) -> E:
    """A valid ``model`` event of ``order_id``: its schema's example with fresh ids and time
    (an event keyed by SKU names no order: only its correlation id is the order's)."""
    if "order_id" in model.model_fields:
        fields = {"order_id": order_id} | fields
    return from_example(model, correlation_id=order_id, **fields)


def accepted(order_id: str, quantity: int, *, sku: str = SKU) -> OrderAccepted:
    """The order of the examples (US market), for ``quantity`` units of ``sku``."""
    line = {
        "sku": sku,
        "quantity": quantity,
        "unit_price": {"amount_minor": 1999, "currency": "USD"},
    }
    return event(OrderAccepted, order_id, lines=[line])


def goods_received(units: int, *, sku: str = SKU, at: str = WAREHOUSE) -> GoodsReceived:
    """A receipt of its own reference: applied once, whatever else was received."""
    reference = f"GRN-{uuid.uuid4().hex[:10].upper()}"
    return from_example(
        GoodsReceived, sku=sku, warehouse_id=at, quantity=units, receipt_ref=reference
    )


# The registry's word on what inventory reads and writes: the component tier is driven by it.
CONSUMED = InventoryComponent.consumed_topics()
PRODUCED = InventoryComponent.produced()
