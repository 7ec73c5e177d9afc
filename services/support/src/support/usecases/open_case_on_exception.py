"""Exceptions in an order's life open a support case by themselves, once per (order, matter),
however often the causing event is redelivered or repeated; a parcel forecast late and the
breach it becomes are one matter, one case."""

import uuid

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.shipping.tracking import DeliveryAttemptFailed
from support.domain.cases import SYSTEM_CASE_KINDS, OrderCases, case_matter, open_system_case
from support.domain.events import SupportEvent
from support.usecases.context import Support, upsert_cases

_CASE_IDS = uuid.UUID("0d6f3a52-7e41-4c1b-9a0f-3b8e2d5c7a19")


def system_reason(event: OrderEnvelope) -> str | None:
    """The reason ``event`` opens a case for, or None when it needs no case."""
    if isinstance(event, DeliveryAttemptFailed) and event.will_retry:
        return None  # the carrier tries again: nothing for a person to do yet
    return event.event_type if event.event_type in SYSTEM_CASE_KINDS else None


def system_case_id(order_id: str, reason: str) -> str:
    """The same case id for the same (order, matter), from whichever event opens it: a delay's
    case has the id a breach's would have."""
    return "case_" + uuid.uuid5(_CASE_IDS, f"{order_id}/{case_matter(reason)}").hex


async def open_case_on_exception(event: OrderEnvelope, support: Support) -> None:
    reason = system_reason(event)
    if reason is None:
        return
    cause = support.cause_of(event)

    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        return open_system_case(
            cases,
            reason,
            case_id=system_case_id(event.order_id, reason),
            shipment_id=getattr(event, "shipment_id", None),
            now=cause.at,
            first_response=support.first_response,
        )

    await upsert_cases(support, event.order_id, event.correlation_id, change, cause)
