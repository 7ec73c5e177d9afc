"""Erase the buyer's addresses and contacts of an order on their request, and say so: at once
when nothing of the order is in flight, else when its last parcel ends (the timer does it)."""

from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_runtime.outlet import Cause
from shipping.domain.privacy import on_erasure_requested
from shipping.domain.shipment import ErasureRequest
from shipping.usecases.context import Shipping, upsert


async def erase_personal_data_on_erasure_requested(
    event: PersonalDataErasureRequested, shipping: Shipping
) -> None:
    now = shipping.clock()  # received now: the sender's clock may be ahead of ours
    request = ErasureRequest(event.erasure_id, str(event.event_id), now)
    retention = shipping.policy.retention
    await upsert(
        shipping,
        event.order_id,
        event.correlation_id,
        lambda fulfilment: on_erasure_requested(fulfilment, request, retention, now),
        Cause(event.event_id, now),
    )
