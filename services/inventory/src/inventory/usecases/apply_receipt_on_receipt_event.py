"""Goods received add units, counts set them: each receipt or count reference applies once.

Then the backorders waiting for the SKU are filled, oldest first, if the stock now covers them.
That runs on a redelivery too (the first attempt may have died before it), and fills nothing
twice: a filled backorder is no longer waiting.
"""

from conveyor_contracts.warehouse import GoodsReceived, ReceiptEvent
from inventory.usecases.context import Inventory
from inventory.usecases.fill_backorders import fill_backorders


async def apply_receipt_on_receipt_event(event: ReceiptEvent, inventory: Inventory) -> None:
    if isinstance(event, GoodsReceived):
        emit = inventory.stock_events(event, "goods_received")
        await inventory.stock.receive(
            event.warehouse_id, event.sku, event.quantity, event.receipt_ref, emit
        )
    else:
        emit = inventory.stock_events(event, "counted")
        await inventory.stock.count(
            event.warehouse_id, event.sku, event.counted, event.count_ref, emit
        )
    await fill_backorders(event.sku, event, inventory)
