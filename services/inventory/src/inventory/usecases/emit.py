"""Building the events one reaction emits, with ids derived from the cause so retries match."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_runtime.outbox import OutboxMessage, derived_event_id, outbox_message
from inventory.ports import Topics


def reservation_id_for(order_id: str) -> str:
    # Derived, not random: a redelivered OrderAccepted must find the same holds on stock documents.
    return "rsv_" + hashlib.sha256(order_id.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Reaction:
    cause: OrderEnvelope
    topics: Topics
    now: datetime

    def reservation_event(self, event_type: type[OrderEnvelope], **fields: Any) -> OutboxMessage:
        event = event_type(
            event_id=derived_event_id(self.cause.event_id, event_type.__name__),
            occurred_at=self.now,
            correlation_id=self.cause.correlation_id,
            causation_id=self.cause.event_id,
            producer="inventory",
            order_id=self.cause.order_id,
            **fields,
        )
        return outbox_message(event, topic=self.topics.reservations, key=self.cause.order_id)
