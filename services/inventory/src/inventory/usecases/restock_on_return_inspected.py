"""An inspected returned parcel: resellable units go back on the shelf, the rest is written off,
and ``StockRestocked`` is emitted once per parcel however often the inspection is redelivered.

Each resellable SKU is one ``receive`` on its (warehouse, SKU) stock document, applied once per
parcel (its key is the shipment id), with ``StockLevelChanged`` (cause ``restocked``) in the same
update. Damaged and missing units already left ``on_hand`` when the parcel was dispatched, so
writing them off changes no level; they are only reported. Then the parcel is marked on the order's
reservation document together with ``StockRestocked`` in one versioned update: a redelivery, or a
second inspection of the same parcel, finds it marked and emits nothing. A crash between the two
steps is finished by the redelivery (the stock moves are no-ops by then). Last, backorders waiting
for a restocked SKU are filled as after a receipt, on every delivery (the first may have died
before).
"""

from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.failures import PermanentError
from inventory.domain.changes import restock
from inventory.domain.events import Lines, Restocked
from inventory.domain.reservation import parcel_sellers
from inventory.usecases.context import Inventory
from inventory.usecases.fill_backorders import fill_backorders


def restock_key(shipment_id: str) -> str:
    """The key a returned parcel's units are received under, once per (parcel, stock document)."""
    return f"return|{shipment_id}"


async def restock_on_return_inspected(event: ReturnInspected, inventory: Inventory) -> None:
    stored = await inventory.reservations.get(event.order_id)
    if stored is None:
        # Nowhere to remember the parcel, so no way to restock it exactly once: park it.
        raise PermanentError(f"returned parcel {event.shipment_id}: order {event.order_id} unknown")
    resellable: dict[str, int] = {}
    written_off: dict[str, int] = {}
    for line in event.lines:
        lines = resellable if line.condition == "resellable" else written_off
        lines[line.sku] = lines.get(line.sku, 0) + line.quantity
    if event.shipment_id not in stored.returned:
        emit = inventory.stock_events(event, "restocked")
        for sku, units in sorted(resellable.items()):
            await inventory.stock.receive(
                event.warehouse_id, sku, units, restock_key(event.shipment_id), emit
            )
        restocked = Restocked(
            order_id=event.order_id,
            shipment_id=event.shipment_id,
            rma_id=event.rma_id,
            warehouse_id=event.warehouse_id,
            restocked=_lines(resellable),
            written_off=_lines(written_off),
            sellers=parcel_sellers(stored, event.warehouse_id, [*resellable, *written_off], {}),
        )
        await inventory.reservations.update(
            stored.key, lambda current: restock(current, restocked), inventory.cause(event)
        )
    for sku in sorted(resellable):
        await fill_backorders(sku, event, inventory)


def _lines(units: dict[str, int]) -> Lines:
    return tuple(sorted(units.items()))
