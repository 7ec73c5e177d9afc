"""Keep what shipping needs of an order, and plan one shipment per reserved warehouse.

The order's details (``OrderAccepted``) and its reservation (``StockReserved``) come on two
topics, so either may come first; booking starts once both are in.
"""

from dataclasses import replace

from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.shipment import Fulfilment, Line, OrderDetails, Shipment, shipment_id_for
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, upsert
from shipping.usecases.emit import already_applied, remembered


async def record_order_on_order_accepted(event: OrderAccepted, shipping: Shipping) -> None:
    details = OrderDetails(
        market=event.market,
        currency=event.currency,
        service_level=event.service_level,
        ship_to=event.ship_to,
        recipient=event.recipient,
        unit_prices={line.sku: line.unit_price.amount_minor for line in event.lines},
        accepted_at=event.occurred_at,
    )

    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[OutboxMessage]]:
        if fulfilment.details is not None:
            return fulfilment, []
        return replace(fulfilment, details=details), []

    await upsert(shipping, event.order_id, event.correlation_id, change)
    await book_waiting_shipments(event.order_id, shipping)


async def plan_shipments_on_stock_reserved(event: StockReserved, shipping: Shipping) -> None:
    now = shipping.clock()

    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[OutboxMessage]]:
        if already_applied(fulfilment, event.event_id) or fulfilment.cancelled:
            return fulfilment, []
        for allocation in event.allocations:
            shipment_id = shipment_id_for(event.reservation_id, allocation.warehouse_id)
            if fulfilment.shipment(shipment_id) is None:
                fulfilment = fulfilment.with_shipment(
                    Shipment(
                        shipment_id=shipment_id,
                        reservation_id=event.reservation_id,
                        warehouse_id=allocation.warehouse_id,
                        lines=tuple(Line(line.sku, line.quantity) for line in allocation.lines),
                        cause=str(event.event_id),
                        awaiting_since=now,
                    )
                )
        return remembered(fulfilment, event.event_id), []

    await upsert(shipping, event.order_id, event.correlation_id, change)
    await book_waiting_shipments(event.order_id, shipping)
