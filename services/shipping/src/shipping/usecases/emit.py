"""Building what one reaction emits: shipment events and carrier commands, ids derived from the
cause so that a retry re-emits exactly the same messages."""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.topics import carrier_requests_topic
from conveyor_runtime.outbox import OutboxMessage, derived_event_id, outbox_message
from shipping.domain.shipment import Fulfilment, Shipment
from shipping.ports import Topics

APPLIED_MEMORY = 500  # event ids remembered per order: far more than one order ever receives
_DEADLINES = uuid.UUID("6b1f1f0e-8c39-4a8e-9d7c-5e0b8a6f2d41")


def deadline_cause(shipment: Shipment, kind: str, due: datetime) -> uuid.UUID:
    """A stable id for "this deadline of this shipment passed", the cause of what it emits."""
    return uuid.uuid5(_DEADLINES, f"{shipment.shipment_id}/{kind}/{due.isoformat()}")


@dataclass(frozen=True)
class Reaction:
    """The context of handling one cause: its id, the time, and where messages go."""

    cause_id: uuid.UUID
    fulfilment: Fulfilment
    topics: Topics
    now: datetime

    def shipment_event(
        self, event_type: type[OrderEnvelope], shipment: Shipment, **fields: Any
    ) -> OutboxMessage:
        return self._message(
            event_type, shipment, self.topics.shipments, shipment_id=shipment.shipment_id, **fields
        )

    def carrier_command(
        self, event_type: type[OrderEnvelope], shipment: Shipment, carrier_code: str, **fields: Any
    ) -> OutboxMessage:
        topic = self.topics.prefix + carrier_requests_topic(carrier_code).name
        return self._message(
            event_type,
            shipment,
            topic,
            name=f"{carrier_code}/{event_type.__name__}",
            shipment_id=shipment.shipment_id,
            **fields,
        )

    def order_event(self, event_type: type[OrderEnvelope], **fields: Any) -> OutboxMessage:
        """An event about the whole order rather than one of its shipments."""
        return self._message(event_type, None, self.topics.shipments, **fields)

    def _message(
        self,
        event_type: type[OrderEnvelope],
        shipment: Shipment | None,
        topic: str,
        name: str | None = None,
        **fields: Any,
    ) -> OutboxMessage:
        name = name or event_type.__name__
        event = event_type(
            event_id=derived_event_id(
                self.cause_id, f"{shipment.shipment_id}/{name}" if shipment else name
            ),
            occurred_at=self.now,
            correlation_id=self.fulfilment.correlation_id,
            causation_id=self.cause_id,
            producer="shipping",
            order_id=self.fulfilment.order_id,
            **fields,
        )
        return outbox_message(event, topic=topic, key=self.fulfilment.order_id)


def already_applied(fulfilment: Fulfilment, cause_id: uuid.UUID) -> bool:
    return str(cause_id) in fulfilment.applied


def remembered(fulfilment: Fulfilment, cause_id: uuid.UUID) -> Fulfilment:
    applied = (*fulfilment.applied, str(cause_id))[-APPLIED_MEMORY:]
    return replace(fulfilment, applied=applied)
