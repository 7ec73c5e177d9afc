"""A parcel left its warehouse: its held units leave stock for good, once per warehouse (of the
order's own reservation, or of the reshipment the parcel's reservation id names).

A parcel the carrier collected while the order was being cancelled may be reported after the
cancellation released its holds: its units left all the same, so they leave the shelf without a
hold (shipping recalls the parcel; its return restocks them). Which of the two it is, each stock
document says (``StockRecord.ship``), not the reservation read here: the cancellation may be
handled at the same moment by another instance, or between a crash and this redelivery.
"""

from conveyor_contracts.shipping.tracking import ShipmentDispatched
from inventory.domain.changes import commit
from inventory.domain.events import Committed
from inventory.domain.reservation import parcel_sellers, reshipment_key
from inventory.usecases.context import Inventory
from inventory.usecases.reserve import sellers_of


async def commit_stock_on_shipment_dispatched(
    event: ShipmentDispatched, inventory: Inventory
) -> None:
    stored = await inventory.reservations.get(event.order_id)
    if stored is not None and stored.reservation_id != event.reservation_id:
        # A parcel of a reshipment: its reservation is stored apart from the order's own.
        reshipment = await inventory.reservations.get(reshipment_key(event.reservation_id))
        stored = reshipment or stored
    if stored is None or event.warehouse_id in stored.committed:
        return
    emit = inventory.stock_events(event, "committed")
    for line in event.lines:
        await inventory.stock.ship(
            event.warehouse_id, line.sku, line.quantity, event.reservation_id, emit
        )
    committed = Committed(
        order_id=event.order_id,
        reservation_id=event.reservation_id,
        shipment_id=event.shipment_id,
        warehouse_id=event.warehouse_id,
        lines=tuple((line.sku, line.quantity) for line in event.lines),
        sellers=parcel_sellers(
            stored, event.warehouse_id, (line.sku for line in event.lines), sellers_of(event.lines)
        ),
    )
    await inventory.reservations.update(
        stored.key, lambda current: commit(current, committed), inventory.cause(event)
    )
