"""An order is cancelled: cancel bookings not yet collected, recall parcels already on their way.

Inventory releases the reserved stock on the same ``OrderCancelled``; shipping only deals with
the carriers.
"""

from dataclasses import replace

from conveyor_contracts.carriers.requests import CancelShipmentBooking, RecallShipment
from conveyor_contracts.orders import OrderCancelled
from conveyor_contracts.shipping.booking import ShipmentCancelled, ShipmentRecallRequested
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.shipment import Fulfilment, ShipmentStatus
from shipping.usecases.context import Shipping, freeing_slots, give_back, upsert
from shipping.usecases.emit import Reaction, already_applied, remembered


async def cancel_shipments_on_order_cancelled(event: OrderCancelled, shipping: Shipping) -> None:
    now = shipping.clock()

    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[OutboxMessage]]:
        if already_applied(fulfilment, event.event_id):
            return fulfilment, []
        reaction = Reaction(event.event_id, fulfilment, shipping.topics, now)
        messages: list[OutboxMessage] = []
        for shipment in fulfilment.shipments:
            if shipment.returning:
                continue  # a return belongs to an order delivered, not to one being cancelled
            if shipment.status.before_pickup:
                cancelled = replace(shipment, status=ShipmentStatus.CANCELLED)
                if shipment.carrier_code is not None:
                    messages.append(
                        reaction.carrier_command(
                            CancelShipmentBooking,
                            cancelled,
                            shipment.carrier_code,
                            reason="order_cancelled",
                        )
                    )
                messages.append(
                    reaction.shipment_event(
                        ShipmentCancelled, cancelled, direction="outbound", reason="order_cancelled"
                    )
                )
                fulfilment = fulfilment.with_shipment(cancelled)
            elif shipment.status.in_flight and not shipment.recall_requested:
                assert shipment.carrier_code  # set at booking
                assert shipment.tracking_number  # set at acceptance
                recalled = replace(shipment, recall_requested=True)
                tracking = {
                    "carrier_code": shipment.carrier_code,
                    "tracking_number": shipment.tracking_number,
                }
                messages.append(
                    reaction.carrier_command(
                        RecallShipment,
                        recalled,
                        shipment.carrier_code,
                        tracking_number=shipment.tracking_number,
                    )
                )
                messages.append(
                    reaction.shipment_event(ShipmentRecallRequested, recalled, **tracking)
                )
                fulfilment = fulfilment.with_shipment(recalled)
        return remembered(replace(fulfilment, cancelled=True), event.event_id), messages

    noting, freed = freeing_slots(change)
    await upsert(shipping, event.order_id, event.correlation_id, noting)
    await give_back(freed, shipping)  # bookings cancelled before pickup
