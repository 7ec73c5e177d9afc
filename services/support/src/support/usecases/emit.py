"""Building the case events support emits, onto its cases topic through the outbox."""

import uuid
from datetime import datetime
from typing import Any

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.support import CaseOpened, CaseResolved
from conveyor_runtime.outbox import OutboxMessage, outbox_message
from support.domain.cases import Case, OrderCases
from support.ports import Topics


def case_event(
    event_type: type[CaseOpened] | type[CaseResolved],
    cases: OrderCases,
    case: Case,
    topics: Topics,
    *,
    event_id: uuid.UUID,
    causation_id: uuid.UUID | None,
    now: datetime,
    **fields: Any,
) -> OutboxMessage:
    event = event_type(
        event_id=event_id,
        occurred_at=now,
        correlation_id=cases.correlation_id,
        causation_id=causation_id,
        producer="support",
        order_id=cases.order_id,
        case_id=case.case_id,
        **fields,
    )
    return outbox_message(event, topic=topics.cases, key=cases.order_id)


def opened(
    cases: OrderCases,
    case: Case,
    topics: Topics,
    *,
    event_id: uuid.UUID,
    causation_id: uuid.UUID | None,
    now: datetime,
) -> OutboxMessage:
    return case_event(
        CaseOpened,
        cases,
        case,
        topics,
        event_id=event_id,
        causation_id=causation_id,
        now=now,
        kind=case.kind,
        opened_by=case.opened_by,
        shipment_id=case.shipment_id,
        summary=case.summary,
    )


def order_event(event: OrderEnvelope, topic: str) -> OutboxMessage:
    """Any event of the order (keyed by its order id) for the outbox."""
    return outbox_message(event, topic=topic, key=event.order_id)
