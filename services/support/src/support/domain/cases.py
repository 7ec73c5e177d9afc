"""Support cases of one order: who opened them, their state, their first-response deadline.

Pure data and rules. All cases of an order live in one ``OrderCases`` so that opening a case
"once per (order, reason)" is a check inside a single-document update.
"""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID

from support.domain.aftersales import ParcelSellers, Purchase, ReturnAuthorisation, Settlement
from support.domain.events import Opened, Resolved, SettlementReason, SupportEvent

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


def check_move(current: CaseStatus, target: CaseStatus) -> None:
    """Raises ``TransitionError`` when an agent may not move a case from ``current`` to
    ``target``."""
    if target not in _MOVES[current]:
        raise TransitionError(f"a {current.value} case cannot become {target.value}")


@dataclass(frozen=True)
class Case:
    case_id: str
    order_id: str
    kind: CaseKind
    opened_by: OpenedBy
    opened_at: datetime
    status: CaseStatus
    respond_by: datetime | None  # first-response deadline; None once answered
    reason: str | None = None  # the system reason (a cause's event type); one case per matter
    shipment_id: str | None = None
    summary: str | None = None  # personal: what the buyer or agent wrote
    seller_ids: tuple[str, ...] = ()  # whose goods the case concerns, as known at its opening
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
        check_move(self.status, status)
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
    parcels: tuple[ParcelSellers, ...] = ()  # whose goods each booked parcel carries
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
        """The system case opened for ``reason`` or for another reason of the same matter."""
        matter = case_matter(reason)
        return next(
            (c for c in self.cases if c.reason is not None and case_matter(c.reason) == matter),
            None,
        )

    def sellers_of(self, shipment_id: str | None) -> tuple[str, ...]:
        """Whose goods a case about ``shipment_id`` (None: the whole order) concerns: the
        parcel's sellers when its booking named them, else the order's; empty when unknown."""
        parcel = next((p for p in self.parcels if p.shipment_id == shipment_id), None)
        if parcel is not None and parcel.seller_ids:
            return parcel.seller_ids
        return self.purchase.seller_ids() if self.purchase is not None else ()

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
SETTLEMENT_REASONS: dict[str, SettlementReason] = {
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
    "ShipmentDelayed": "sla_breach",  # forecast past the promise: reach out before it breaks
    "DeliverySlaBreached": "sla_breach",
}
# Reasons that are one matter for a person, and the reason whose case they share: a parcel
# forecast late and the breach it then becomes are the same lateness, one case.
_SAME_MATTER: dict[str, str] = {"ShipmentDelayed": "DeliverySlaBreached"}


def case_matter(reason: str) -> str:
    """The matter a system ``reason`` opens a case for: one case per order and matter."""
    return _SAME_MATTER.get(reason, reason)


def opening(cases: OrderCases, case: Case, decision_id: UUID | None = None) -> Opened:
    """``case`` opened; ``decision_id`` for a person's opening, which no event caused."""
    return Opened(
        cases.order_id,
        case.case_id,
        case.kind,
        case.opened_by,
        shipment_id=case.shipment_id,
        summary=case.summary,
        seller_ids=case.seller_ids,
        decision_id=decision_id,
    )


def open_system_case(
    cases: OrderCases,
    reason: str,
    *,
    case_id: str,
    shipment_id: str | None,
    now: datetime,
    first_response: timedelta,
) -> tuple[OrderCases, list[SupportEvent]]:
    """A case for ``reason`` (a cause's event type), once per order and matter (``case_id`` is
    the matter's), for the sellers of the parcel it names, else of the order."""
    if cases.with_reason(reason) is not None:
        return cases, []  # already opened, by this event or an earlier one of the same matter
    case = Case(
        case_id=case_id,
        order_id=cases.order_id,
        kind=SYSTEM_CASE_KINDS[reason],
        opened_by="system",
        opened_at=now,
        status=CaseStatus.OPEN,
        respond_by=now + first_response,
        reason=reason,
        shipment_id=shipment_id,
        seller_ids=cases.sellers_of(shipment_id),
        updated_at=now,
    )
    return cases.with_case(case), [opening(cases, case)]


def open_requested_case(
    cases: OrderCases, case: Case, opened_id: UUID, resolved_id: UUID
) -> tuple[OrderCases, list[SupportEvent]]:
    """A case a person opened, for the sellers of the parcel it names, else of the order; one
    answered at once (where is my order) is resolved too, the resolution following the opening."""
    case = replace(case, seller_ids=cases.sellers_of(case.shipment_id))
    events: list[SupportEvent] = [opening(cases, case, opened_id)]
    if case.status is CaseStatus.RESOLVED:
        events.append(
            Resolved(cases.order_id, case.case_id, "answered", resolved_id, follows=opened_id)
        )
    return cases.with_case(case), events


def move_case(
    cases: OrderCases,
    case: Case,
    status: CaseStatus,
    resolution: Resolution | None,
    now: datetime,
    decision_id: UUID,
) -> tuple[OrderCases, list[SupportEvent]]:
    """An agent moves ``case``; resolving it (or closing it unresolved) says how it ended."""
    moved = case.moved_to(status, now)
    if moved == case:
        return cases, []
    events: list[SupportEvent] = []
    if status is CaseStatus.RESOLVED or (status is CaseStatus.CLOSED and case.resolution is None):
        ending: Resolution = resolution or "no_action"
        moved = replace(moved, resolution=ending)
        events.append(Resolved(cases.order_id, case.case_id, ending, decision_id))
    return cases.with_case(moved), events
