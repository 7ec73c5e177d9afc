"""Erase the buyer's addresses and contacts of an order on their request, and say so: at once
when nothing of the order is in flight, else when its last parcel ends (the timer does it)."""

import uuid
from dataclasses import replace
from datetime import datetime

from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.shipping import ShippingPersonalDataErased
from conveyor_runtime.outbox import OutboxMessage
from shipping.domain.privacy import forget_at, forgotten
from shipping.domain.shipment import ErasureRequest, Fulfilment
from shipping.usecases.context import Shipping, upsert
from shipping.usecases.emit import Reaction, already_applied, remembered


async def erase_personal_data_on_erasure_requested(
    event: PersonalDataErasureRequested, shipping: Shipping
) -> None:
    now = shipping.clock()  # received now: the sender's clock may be ahead of ours
    request = ErasureRequest(event.erasure_id, str(event.event_id), now)

    def change(fulfilment: Fulfilment) -> tuple[Fulfilment, list[OutboxMessage]]:
        if already_applied(fulfilment, event.event_id):
            return fulfilment, []  # a redelivery: confirmed (or waiting) already
        asked = replace(
            remembered(fulfilment, event.event_id),
            erasures=(*fulfilment.erasures, request),
            erasure_requested=True,
        )
        return forget_if_due(asked, now, shipping, deferred=False)

    await upsert(shipping, event.order_id, event.correlation_id, change)


def forget_if_due(
    fulfilment: Fulfilment, now: datetime, shipping: Shipping, *, deferred: bool
) -> tuple[Fulfilment, list[OutboxMessage]]:
    """The fulfilment without personal data if its time has come, with a confirmation for each
    request that waited; as it is otherwise."""
    due = forget_at(fulfilment, shipping.policy.retention)
    if due is None or due > now:
        return fulfilment, []
    confirmations = [
        Reaction(uuid.UUID(request.event_id), fulfilment, shipping.topics, now).order_event(
            ShippingPersonalDataErased, erasure_id=request.erasure_id, deferred=deferred
        )
        for request in fulfilment.erasures
    ]
    return forgotten(fulfilment), confirmations
