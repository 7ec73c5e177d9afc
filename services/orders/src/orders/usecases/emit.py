"""Building the events one reaction emits: ids derived from the cause, status for the checkout."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.orders import OrderStatusChanged, ParcelTracking
from conveyor_runtime.outbox import OutboxMessage, derived_event_id, outbox_message
from orders.domain.order import PUBLIC_STATUS, Order, status_note
from orders.ports import Topics

APPLIED_MEMORY = 500  # event ids remembered per order: far more than one order ever receives


@dataclass(frozen=True)
class Reaction:
    """The context of handling one event: its cause, the time, and where events go."""

    cause: OrderEnvelope
    topics: Topics
    now: datetime

    def event(self, event_type: type[OrderEnvelope], topic: str, **fields: Any) -> OutboxMessage:
        """An event caused by ``cause``; retries of the same cause produce the same event id."""
        event = event_type(
            event_id=derived_event_id(self.cause.event_id, event_type.__name__),
            occurred_at=self.now,
            correlation_id=self.cause.correlation_id,
            causation_id=self.cause.event_id,
            producer="orders",
            order_id=self.cause.order_id,
            **fields,
        )
        return outbox_message(event, topic=topic, key=self.cause.order_id)

    def lifecycle(self, event_type: type[OrderEnvelope], **fields: Any) -> OutboxMessage:
        return self.event(event_type, self.topics.order_lifecycle, **fields)

    def status_changes(
        self, before: Order | None, after: Order, reason: str | None = None
    ) -> list[OutboxMessage]:
        """``OrderStatusChanged`` when what the buyer sees (status, parcel tracking, the note
        on the status) changed."""
        status, parcels, note = _buyer_view(after)
        if before is not None and _buyer_view(before) == (status, parcels, note):
            return []
        return [
            self.event(
                OrderStatusChanged,
                self.topics.order_status,
                status=status,
                parcels=parcels,
                reason=reason or note,
            )
        ]


def _buyer_view(order: Order) -> tuple[str, tuple[ParcelTracking, ...], str | None]:
    parcels = tuple(
        ParcelTracking(carrier_code=parcel.carrier_code, tracking_number=parcel.tracking_number)
        for parcel in order.parcels
        if parcel.carrier_code and parcel.tracking_number
    )
    return PUBLIC_STATUS[order.status], parcels, status_note(order)


def already_applied(order: Order, reaction: Reaction) -> bool:
    return str(reaction.cause.event_id) in order.applied


def remembered(order: Order, reaction: Reaction) -> Order:
    """``order`` noting that the cause is applied, so its redelivery changes nothing."""
    applied = (*order.applied, str(reaction.cause.event_id))[-APPLIED_MEMORY:]
    return replace(order, applied=applied)
