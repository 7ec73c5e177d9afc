"""Support cases of one order: who opened them, their state, their first-response deadline.

Pure data and rules. All cases of an order live in one ``OrderCases`` so that opening a case
"once per (order, reason)" is a check inside a single-document update.
"""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal

from support.domain.aftersales import Purchase, ReturnAuthorisation, Settlement

CaseKind = Literal[
    "where_is_my_order", "damaged", "missing", "return_request", "cancellation_request",
    "delivery_exception", "sla_breach", "lost_parcel", "other",
]  # fmt: skip
# What a buyer or an agent may open over HTTP; the rest are opened by the system.
RequestKind = Literal[
    "where_is_my_order", "damaged", "missing", "return_request", "cancellation_request", "other"
]
OpenedBy = Literal["buyer", "agent", "system"]
Resolution = Literal[
    "answered", "reshipped", "refunded", "returned", "cancelled", "declined", "no_action"
]


class CaseStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"  # an agent answered and waits for the buyer or a third party
    RESOLVED = "resolved"
    CLOSED = "closed"


# Where an agent may move a case from each state (the same state is a no-op, not a move).
_MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.WAITING: frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


class TransitionError(ValueError):
    """The case cannot move to that state from where it is."""


@dataclass(frozen=True)
class Case:
    case_id: str
    order_id: str
    kind: CaseKind
    opened_by: OpenedBy
    opened_at: datetime
    status: CaseStatus
    respond_by: datetime | None  # first-response deadline; None once answered
    reason: str | None = None  # the system reason (a cause's event type); one case per reason
    shipment_id: str | None = None
    summary: str | None = None  # personal: what the buyer or agent wrote
    escalated: bool = False
    escalated_at: datetime | None = None
    resolution: Resolution | None = None
    answer: dict[str, str | None] | None = None  # the automatic where-is-my-order answer
    updated_at: datetime | None = None
    rma: ReturnAuthorisation | None = None  # the return authorised on this case
    settlement: Settlement | None = None  # the reshipment or refund that settled it

    @property
    def ended(self) -> bool:
        return self.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)

    def moved_to(self, status: CaseStatus, now: datetime) -> "Case":
        if status == self.status:
            return self
        if status not in _MOVES[self.status]:
            raise TransitionError(f"a {self.status.value} case cannot become {status.value}")
        # Any move by an agent is a response: the first-response deadline no longer applies.
        return replace(self, status=status, respond_by=None, updated_at=now)

    def overdue(self, now: datetime) -> bool:
        return (
            self.respond_by is not None
            and not self.escalated
            and self.status is CaseStatus.OPEN
            and self.respond_by <= now
        )


@dataclass(frozen=True)
class OrderCases:
    """Every case of one order (the document the case events' outbox lives in), with what
    after-sales needs of the order: the purchase (personal data inside) and when it arrived."""

    order_id: str
    correlation_id: str
    cases: tuple[Case, ...] = ()
    purchase: Purchase | None = None
    delivered_at: datetime | None = None  # the latest outbound delivery scan
    erasures: tuple[str, ...] = ()  # event ids of the buyer's erasure requests, applied
    # When support last kept an after-sales fact of the order, by its own clock: where the
    # retention counts from (an event's own time is its sender's clock, and may be far off).
    heard_at: datetime | None = None

    def with_rma(self, rma_id: str) -> Case | None:
        return next((c for c in self.cases if c.rma is not None and c.rma.rma_id == rma_id), None)

    def authorised(self, *, besides: str) -> Counter[str]:
        """Units per SKU already authorised for return on the order's other cases."""
        counts: Counter[str] = Counter()
        for case in self.cases:
            if case.rma is not None and case.case_id != besides:
                for line in case.rma.lines:
                    counts[line.sku] += line.quantity
        return counts

    def case(self, case_id: str) -> Case | None:
        return next((case for case in self.cases if case.case_id == case_id), None)

    def with_reason(self, reason: str) -> Case | None:
        return next((case for case in self.cases if case.reason == reason), None)

    def with_case(self, case: Case) -> "OrderCases":
        others = tuple(c for c in self.cases if c.case_id != case.case_id)
        if len(others) == len(self.cases):
            return replace(self, cases=(*self.cases, case))
        return replace(
            self, cases=tuple(case if c.case_id == case.case_id else c for c in self.cases)
        )

    def escalated(self, now: datetime) -> "OrderCases":
        """Every open case past its first-response deadline, marked escalated (once)."""
        return replace(
            self,
            cases=tuple(
                replace(case, escalated=True, escalated_at=now) if case.overdue(now) else case
                for case in self.cases
            ),
        )


def next_response_due(cases: OrderCases) -> datetime | None:
    """The earliest first-response deadline still to watch."""
    return min(
        (
            case.respond_by
            for case in cases.cases
            if case.respond_by is not None and not case.escalated and case.status is CaseStatus.OPEN
        ),
        default=None,
    )


# Cases an agent settles by reshipping or refunding, and the reason the events give.
SETTLEMENT_REASONS: dict[str, Literal["lost", "damaged", "missing_items"]] = {
    "lost_parcel": "lost",
    "damaged": "damaged",
    "missing": "missing_items",
}


# Events that open a case by themselves, and the kind of case each opens.
SYSTEM_CASE_KINDS: dict[str, CaseKind] = {
    "OrderRejected": "other",
    "StockShortage": "other",
    "ShipmentBookingFailed": "other",
    "ShipmentExceptionRaised": "delivery_exception",
    "DeliveryAttemptFailed": "delivery_exception",  # only when the carrier gives up
    "ShipmentReturnedToSender": "delivery_exception",
    "ShipmentLost": "lost_parcel",
    "DeliverySlaBreached": "sla_breach",
}
