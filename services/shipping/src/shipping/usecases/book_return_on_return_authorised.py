"""Support authorised a return: ask a carrier to collect it from the buyer for the warehouse."""

from datetime import UTC, datetime, time

from conveyor_contracts.support import ReturnAuthorised
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.shipment import (
    Fulfilment,
    Line,
    ReturnPickup,
    Shipment,
    return_shipment_id_for,
)
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, upsert
from shipping.usecases.emit import already_applied, remembered


async def book_return_on_return_authorised(event: ReturnAuthorised, shipping: Shipping) -> None:
    now = shipping.clock()
    shipment = Shipment(
        shipment_id=return_shipment_id_for(event.rma_id),
        reservation_id=None,
        warehouse_id=event.return_to,
        lines=tuple(Line(line.sku, line.quantity) for line in event.lines),
        returning=ReturnPickup(
            rma_id=event.rma_id,
            collect_from=event.collect_from,
            sender=event.sender,
            collect_by=datetime.combine(event.expires_on, time(23, 59, 59), tzinfo=UTC),
        ),
        cause=str(event.event_id),
        awaiting_since=now,
    )

    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[OutboxMessage]]:
        if already_applied(fulfilment, event.event_id) or fulfilment.shipment(shipment.shipment_id):
            return fulfilment, []
        return remembered(fulfilment.with_shipment(shipment), event.event_id), []

    await upsert(shipping, event.order_id, event.correlation_id, change)
    await book_waiting_shipments(event.order_id, shipping)
