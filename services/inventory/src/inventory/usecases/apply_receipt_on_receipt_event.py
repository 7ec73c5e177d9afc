"""Goods received add units, counts set them: each receipt or count reference applies once.

A receipt naming its seller records whose stock it is; one naming another seller than the one
recorded is refused for good (dead-lettered), with no stock change.

A receipt naming an inbound shipment (ASN) is then reconciled against it.

Then the backorders waiting for the SKU are filled, oldest first, if the stock now covers them.
That runs on a redelivery too (the first attempt may have died before it), and fills nothing
twice: a filled backorder is no longer waiting.
"""

from conveyor_contracts.warehouse import GoodsReceived, ReceiptEvent
from conveyor_runtime.failures import PermanentError
from inventory.domain.stock import SellerConflictError
from inventory.usecases.context import Inventory
from inventory.usecases.fill_backorders import fill_backorders
from inventory.usecases.reconcile_inbound_on_goods_received import (
    reconcile_inbound_on_goods_received,
)


async def apply_receipt_on_receipt_event(event: ReceiptEvent, inventory: Inventory) -> None:
    if isinstance(event, GoodsReceived):
        emit = inventory.stock_events(event, "goods_received")
        try:
            await inventory.stock.receive(
                event.warehouse_id,
                event.sku,
                event.quantity,
                event.receipt_ref,
                emit,
                seller_id=event.seller_id,
            )
        except SellerConflictError as conflict:
            # Another seller's goods under this SKU: no retry can fix it; parked, stock unchanged.
            raise PermanentError(f"receipt {event.receipt_ref}: {conflict}") from conflict
        # Against its inbound shipment, if it names one: announced units never count as stock.
        await reconcile_inbound_on_goods_received(event, inventory)
    else:
        emit = inventory.stock_events(event, "counted")
        await inventory.stock.count(
            event.warehouse_id, event.sku, event.counted, event.count_ref, emit
        )
    await fill_backorders(event.sku, event, inventory)
