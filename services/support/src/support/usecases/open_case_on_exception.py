"""Exceptions in an order's life open a support case by themselves, once per (order, reason),
however often the causing event is redelivered or repeated."""

import uuid

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.shipping.tracking import DeliveryAttemptFailed
from conveyor_runtime.outbox import OutboxMessage, derived_event_id
from support.domain.cases import SYSTEM_CASE_KINDS, Case, CaseStatus, OrderCases
from support.usecases.context import Support, upsert_cases
from support.usecases.emit import opened

_CASE_IDS = uuid.UUID("0d6f3a52-7e41-4c1b-9a0f-3b8e2d5c7a19")


def system_reason(event: OrderEnvelope) -> str | None:
    """The reason ``event`` opens a case for, or None when it needs no case."""
    if isinstance(event, DeliveryAttemptFailed) and event.will_retry:
        return None  # the carrier tries again: nothing for a person to do yet
    return event.event_type if event.event_type in SYSTEM_CASE_KINDS else None


def system_case_id(order_id: str, reason: str) -> str:
    """The same case id for the same (order, reason), from whichever event opens it."""
    return "case_" + uuid.uuid5(_CASE_IDS, f"{order_id}/{reason}").hex


async def open_case_on_exception(event: OrderEnvelope, support: Support) -> None:
    reason = system_reason(event)
    if reason is None:
        return
    now = support.clock()

    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        if cases.with_reason(reason) is not None:
            return cases, []  # already opened, by this event or an earlier one like it
        case = Case(
            case_id=system_case_id(event.order_id, reason),
            order_id=event.order_id,
            kind=SYSTEM_CASE_KINDS[reason],
            opened_by="system",
            opened_at=now,
            status=CaseStatus.OPEN,
            respond_by=now + support.first_response,
            reason=reason,
            shipment_id=getattr(event, "shipment_id", None),
            updated_at=now,
        )
        message = opened(
            cases,
            case,
            support.topics,
            event_id=derived_event_id(event.event_id, "CaseOpened"),
            causation_id=event.event_id,
            now=now,
        )
        return cases.with_case(case), [message]

    await upsert_cases(support, event.order_id, event.correlation_id, change)
