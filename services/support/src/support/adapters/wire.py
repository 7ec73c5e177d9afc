"""The support domain's events on the wire: the contract event, topic and key of each.

Every event is keyed by its order. A decision's own id (``decision_id``) is the event's id;
the decision it follows is its cause (else the event that caused the change is).
"""

from typing import Any
from uuid import UUID

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.support import (
    CaseOpened,
    CaseResolved,
    RefundRequested,
    ReshipmentApproved,
    ReturnAuthorised,
    SupportPersonalDataErased,
)
from conveyor_contracts.topics import SUPPORT_CASES, SUPPORT_REFUNDS
from conveyor_contracts.values import Money
from conveyor_runtime.outlet import Outlet, Wired
from support.domain.cases import OrderCases
from support.domain.events import (
    Opened,
    PersonalDataForgotten,
    RefundDecided,
    ReshipmentDecided,
    Resolved,
    RmaIssued,
    SupportEvent,
)


def wired(event: SupportEvent) -> Wired:
    match event:
        case Opened():
            return _on(
                SUPPORT_CASES,
                CaseOpened,
                event.order_id,
                event.decision_id,
                case_id=event.case_id,
                kind=event.kind,
                opened_by=event.opened_by,
                shipment_id=event.shipment_id,
                seller_ids=event.seller_ids,
                summary=event.summary,
            )
        case Resolved():
            return _on(
                SUPPORT_CASES,
                CaseResolved,
                event.order_id,
                event.decision_id,
                event.follows,
                case_id=event.case_id,
                resolution=event.resolution,
            )
        case RmaIssued():
            return _on(
                SUPPORT_CASES,
                ReturnAuthorised,
                event.order_id,
                event.decision_id,
                case_id=event.case_id,
                rma_id=event.rma_id,
                lines=event.lines,
                collect_from=event.collect_from,
                sender=event.sender,
                return_to=event.return_to,
                expires_on=event.expires_on,
            )
        case ReshipmentDecided():
            return _on(
                SUPPORT_CASES,
                ReshipmentApproved,
                event.order_id,
                event.decision_id,
                case_id=event.case_id,
                lines=event.lines,
                reason=event.reason,
            )
        case RefundDecided():
            return _on(
                SUPPORT_REFUNDS,
                RefundRequested,
                event.order_id,
                event.decision_id,
                refund_id=event.refund_id,
                case_id=event.case_id,
                rma_id=event.rma_id,
                amount=Money(amount_minor=event.amount_minor, currency=event.currency),
                reason=event.reason,
            )
        case PersonalDataForgotten():
            return _on(
                SUPPORT_CASES,
                SupportPersonalDataErased,
                event.order_id,
                erasure_id=event.erasure_id,
            )


def _on(
    topic: TopicSpec[Any],
    event_type: type[Envelope],
    order_id: str,
    event_id: UUID | None = None,
    caused_by: UUID | None = None,
    **fields: Any,
) -> Wired:
    """An event of one order, keyed by its id."""
    return Wired(
        event_type,
        topic,
        order_id,
        {"order_id": order_id, **fields},
        event_id=event_id,
        caused_by=caused_by,
    )


def order_correlation(cases: OrderCases) -> str:
    """The correlation support's events carry: the one the order's cases were first heard in
    (an agent's action has no message of its own, and every event goes with its order's)."""
    return cases.correlation_id


def support_outlet(topic_prefix: str = "") -> Outlet[SupportEvent]:
    """Where the support service's events go: its topics, as deployed under ``topic_prefix``."""
    return Outlet("support", wired, topic_prefix)
