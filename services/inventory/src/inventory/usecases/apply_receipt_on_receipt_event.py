"""Goods received add units, counts set them: each receipt or count reference applies once."""

from conveyor_contracts.warehouse import GoodsReceived, ReceiptEvent
from inventory.ports import StockStore


async def apply_receipt_on_receipt_event(event: ReceiptEvent, stock: StockStore) -> None:
    if isinstance(event, GoodsReceived):
        await stock.receive(event.warehouse_id, event.sku, event.quantity, event.receipt_ref)
    else:
        await stock.count(event.warehouse_id, event.sku, event.counted, event.count_ref)
