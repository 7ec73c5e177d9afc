"""Kafka subscribers: translate a contract event into one use case call, nothing more."""

from conveyor_contracts.groups import GROUP_INVENTORY
from conveyor_contracts.orders import OrderAccepted, OrderCancelled, OrderLifecycleEvent
from conveyor_contracts.shipping import ShipmentEvent
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from conveyor_contracts.support import ReshipmentApproved, SupportCaseEvent
from conveyor_contracts.topics import (
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    WAREHOUSE_RECEIPTS,
    WAREHOUSE_RETURNS,
)
from conveyor_contracts.warehouse import ReceiptEvent, ReturnEvent, ReturnInspected
from conveyor_runtime.service import Infrastructure
from inventory.usecases.apply_receipt_on_receipt_event import apply_receipt_on_receipt_event
from inventory.usecases.commit_stock_on_shipment_dispatched import (
    commit_stock_on_shipment_dispatched,
)
from inventory.usecases.context import Inventory
from inventory.usecases.release_stock_on_order_cancelled import release_stock_on_order_cancelled
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted
from inventory.usecases.reserve_stock_on_reshipment_approved import (
    reserve_stock_on_reshipment_approved,
)
from inventory.usecases.restock_on_return_inspected import restock_on_return_inspected


def register_subscribers(infra: Infrastructure, inventory: Inventory) -> None:
    async def on_order_event(event: OrderLifecycleEvent) -> None:
        if isinstance(event, OrderAccepted):
            await reserve_stock_on_order_accepted(event, inventory)
        elif isinstance(event, OrderCancelled):
            await release_stock_on_order_cancelled(event, inventory)

    async def on_shipment_event(event: ShipmentEvent) -> None:
        if isinstance(event, ShipmentDispatched):
            await commit_stock_on_shipment_dispatched(event, inventory)

    async def on_receipt_event(event: ReceiptEvent) -> None:
        await apply_receipt_on_receipt_event(event, inventory)

    async def on_return_event(event: ReturnEvent) -> None:
        # ReturnReceived needs nothing: only the inspection says what goes back on the shelf.
        if isinstance(event, ReturnInspected):
            await restock_on_return_inspected(event, inventory)

    async def on_case_event(event: SupportCaseEvent) -> None:
        if isinstance(event, ReshipmentApproved):
            await reserve_stock_on_reshipment_approved(event, inventory)

    infra.consume(ORDER_LIFECYCLE, GROUP_INVENTORY, on_order_event)
    infra.consume(SHIPPING_SHIPMENTS, GROUP_INVENTORY, on_shipment_event)
    infra.consume(WAREHOUSE_RECEIPTS, GROUP_INVENTORY, on_receipt_event)
    infra.consume(WAREHOUSE_RETURNS, GROUP_INVENTORY, on_return_event)
    infra.consume(SUPPORT_CASES, GROUP_INVENTORY, on_case_event)
