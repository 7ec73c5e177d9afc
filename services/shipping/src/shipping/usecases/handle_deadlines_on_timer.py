"""The order's deadlines that passed: silent or absent carriers are replaced, late parcels are
reported, personal data past its retention (or asked erased while the order was in flight) is
erased. Called by the timer poller with the instant it read the deadlines at."""

from datetime import datetime

from conveyor_runtime.outlet import Cause
from shipping.domain.deadlines import after_deadlines
from shipping.domain.events import ShippingEvent
from shipping.domain.privacy import forget_if_due
from shipping.domain.shipment import Fulfilment
from shipping.usecases.book_waiting_shipments import book_waiting_shipments
from shipping.usecases.context import Shipping, freeing_slots, give_back


async def handle_deadlines_on_timer(order_id: str, now: datetime, shipping: Shipping) -> None:
    policy = shipping.policy
    # No event caused it: what each deadline tells is caused by that deadline's passing, a
    # confirmation by the request it answers (ids of their own, see adapters/wire.py).
    cause = Cause(None, now)

    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[ShippingEvent]]:
        fulfilment, told = after_deadlines(fulfilment, policy.silence, now)
        fulfilment, confirmations = forget_if_due(fulfilment, policy.retention, now, deferred=True)
        return fulfilment, told + confirmations

    noting, freed = freeing_slots(change)
    await shipping.fulfilments.update(order_id, noting, cause)
    await give_back(freed, shipping)  # carriers that did not answer or come
    await book_waiting_shipments(order_id, shipping)  # replacements, and interrupted bookings
