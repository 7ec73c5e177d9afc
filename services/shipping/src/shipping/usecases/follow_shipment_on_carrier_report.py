"""What a carrier reports on its tracking topic: acceptance, decline, and scans.

What they make of the shipment, and tell, is the domain's (``shipping.domain.reports``); here a
report from a carrier that does not hold the shipment is counted and logged, and a decline
leads to the next carrier.
"""

import logging

from conveyor_contracts.carriers.tracking import CarrierTrackingEvent, ShipmentDeclined
from conveyor_runtime.failures import PermanentError
from conveyor_runtime.outlet import Cause
from shipping.domain.events import ShippingEvent, already_applied
from shipping.domain.reports import not_holding, on_carrier_report
from shipping.domain.shipment import Fulfilment
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, freeing_slots, give_back

log = logging.getLogger(__name__)


async def follow_shipment_on_carrier_report(
    event: CarrierTrackingEvent, carrier_code: str, shipping: Shipping
) -> None:
    """``carrier_code`` is the carrier whose topic the report came on: a carrier can only speak
    for itself, whatever the message says."""
    cause = Cause(event.event_id, shipping.clock())
    foreign = False  # as of the change's last run (an update may run it again on a conflict)

    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[ShippingEvent]]:
        nonlocal foreign
        foreign = False
        shipment = fulfilment.shipment(event.shipment_id)
        if shipment is None:
            raise PermanentError(f"{event.event_type} for a shipment shipping does not know")
        foreign = not already_applied(fulfilment, event.event_id) and not_holding(
            shipment, event, carrier_code
        )
        policy = shipping.policy
        return on_carrier_report(
            fulfilment,
            shipment,
            event,
            carrier_code,
            policy.max_delivery_attempts,
            cause.at,
            policy.forecasting,
        )

    noting, freed = freeing_slots(change)
    if await shipping.fulfilments.update(event.order_id, noting, cause) is None:
        raise PermanentError(f"{event.event_type} for an order shipping does not know")
    if foreign:
        # Another carrier holds the shipment (or we let this one go): nothing to act on, but a
        # carrier reporting on parcels it does not hold is worth knowing about. Ids only.
        shipping.count_foreign_report(carrier_code)
        log.warning(
            "report from a carrier not holding the shipment; ignored",
            extra={
                "carrier": carrier_code,
                "event_type": event.event_type,
                "shipment_id": event.shipment_id,
            },
        )
    await give_back(freed, shipping)  # a decline leaves the carrier's pickup unused
    if isinstance(event, ShipmentDeclined):
        await book_waiting_shipments(event.order_id, shipping)
