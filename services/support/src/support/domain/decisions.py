"""After-sales decisions on an order's cases: a return authorised, a case settled by reshipping
or refunding, an inspected return refunded; and the facts they rest on, kept. Pure: each takes
the order's cases (and the case decided on) and returns them changed, with the events emitted.

Every decision has the identity ``decision_event_id`` gives it, so asking again (another click,
a redelivered inspection) says nothing new. The rules themselves are in ``aftersales``; this
module is apart from it because cases hold the after-sales data, not the other way round.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Literal
from uuid import UUID

from conveyor_contracts.support import ReturnLine
from conveyor_contracts.values import StockLine
from support.domain.access import Principal
from support.domain.aftersales import (
    NotEligibleError,
    ParcelSellers,
    Purchase,
    ReturnAuthorisation,
    ReturnPolicy,
    Settlement,
    check_lines,
    check_return,
    decision_event_id,
    expiry,
    refund_for_inspection,
    refund_id_of,
    rma_id_of,
    same_lines,
)
from support.domain.cases import SETTLEMENT_REASONS, Case, CaseStatus, OrderCases, Resolution
from support.domain.events import (
    RefundDecided,
    ReshipmentDecided,
    Resolved,
    RmaIssued,
    SettlementReason,
    SupportEvent,
)
from support.domain.privacy import forgotten_purchase

Action = Literal["reship", "refund"]
Decided = tuple[OrderCases, list[SupportEvent]]


def with_purchase(cases: OrderCases, purchase: Purchase, now: datetime) -> Decided:
    """The order's purchase, kept once; without its personal data if the buyer asked first."""
    if cases.purchase is not None:
        return cases, []  # an order is placed once: the first word stands
    if cases.erasures:  # the buyer's request came first: keep nothing of them
        return replace(cases, purchase=forgotten_purchase(purchase), heard_at=now), []
    return replace(cases, purchase=purchase, heard_at=now), []


def with_delivery(cases: OrderCases, delivered: datetime, now: datetime) -> Decided:
    """An outbound parcel delivered at ``delivered``: the last parcel's arrival is kept."""
    if cases.delivered_at is not None and cases.delivered_at >= delivered:
        return cases, []
    return replace(cases, delivered_at=delivered, heard_at=now), []


def with_parcel(cases: OrderCases, parcel: ParcelSellers) -> Decided:
    """Whose goods a booked parcel carries, kept once; a booking that names no seller tells
    nothing (a case about that parcel names the order's sellers)."""
    if not parcel.seller_ids or any(p.shipment_id == parcel.shipment_id for p in cases.parcels):
        return cases, []
    return replace(cases, parcels=(*cases.parcels, parcel)), []


def authorise_return(
    cases: OrderCases,
    case: Case,
    lines: tuple[ReturnLine, ...],
    principal: Principal,
    policy: ReturnPolicy,
    now: datetime,
) -> Decided:
    """The return of ``lines`` on ``case``, which then waits for the parcel; the same request
    again answers the same RMA and emits nothing. Raises ``PermissionError`` (a buyer on a case
    that is not a return request) or ``NotEligibleError``."""
    if not principal.is_agent and case.kind != "return_request":
        raise PermissionError("buyers ask for returns on their return_request cases only")
    if case.rma is not None:
        if same_lines(case.rma.lines, lines):
            return cases, []  # asked again: the same RMA, nothing new to say
        raise NotEligibleError(f"the case already has return {case.rma.rma_id}")
    if case.ended:
        raise NotEligibleError(f"the case is {case.status.value}")
    return_to = check_return(
        cases.purchase,
        cases.delivered_at,
        lines,
        now,
        policy,
        already_authorised=cases.authorised(besides=case.case_id),
    )
    purchase = cases.purchase
    assert purchase is not None  # check_return refuses an unknown purchase
    expires_on = expiry(now, policy)
    rma = ReturnAuthorisation(
        rma_id=rma_id_of(case.case_id),
        lines=lines,
        return_to=return_to,
        expires_on=expires_on.isoformat(),
        authorised_at=now,
    )
    issued = RmaIssued(
        order_id=cases.order_id,
        case_id=case.case_id,
        rma_id=rma.rma_id,
        lines=lines,
        collect_from=purchase.ship_to,
        sender=purchase.recipient,
        return_to=return_to,
        expires_on=expires_on,
        decision_id=decision_event_id(case.case_id, "ReturnAuthorised"),
    )
    waiting = replace(case.moved_to(CaseStatus.WAITING, now), rma=rma, updated_at=now)
    return cases.with_case(waiting), [issued]


def same_settlement(
    settlement: Settlement, action: str, lines: tuple[StockLine, ...], amount: int | None
) -> bool:
    if settlement.action != action:
        return False
    if action == "reship":
        return sorted((line.sku, line.quantity) for line in settlement.lines) == sorted(
            (line.sku, line.quantity) for line in lines
        )
    return amount is None or amount == settlement.amount_minor


def settle(
    cases: OrderCases,
    case: Case,
    action: Action,
    now: datetime,
    *,
    lines: tuple[StockLine, ...] = (),
    amount_minor: int | None = None,
) -> Decided:
    """Reship ``lines`` or refund (by default the order's lines total) and resolve the case,
    the resolution following the decision. Raises ``NotEligibleError`` (another kind of case,
    already settled otherwise or resolved, lines not in the order, an amount above the order's
    total)."""
    reason = SETTLEMENT_REASONS.get(case.kind)
    if reason is None:
        raise NotEligibleError(f"a {case.kind} case is not settled by reship or refund")
    if case.settlement is not None:
        if same_settlement(case.settlement, action, lines, amount_minor):
            return cases, []
        raise NotEligibleError(f"the case was already settled by {case.settlement.action}")
    if case.ended:
        raise NotEligibleError(f"the case is already {case.status.value}")
    purchase = cases.purchase
    if purchase is None:
        raise NotEligibleError("the order's details have not reached support yet")
    decided_id = decision_event_id(case.case_id, action)
    decided: SupportEvent
    if action == "reship":
        check_lines(purchase, ((line.sku, line.quantity) for line in lines))
        decided = ReshipmentDecided(cases.order_id, case.case_id, lines, reason, decided_id)
        settlement = Settlement(action="reship", lines=lines)
    else:
        decided = _refund(cases, case, purchase, amount_minor, reason, decided_id)
        settlement = Settlement(
            action="refund", refund_id=decided.refund_id, amount_minor=decided.amount_minor,
            currency=purchase.currency,
        )  # fmt: skip
    resolution: Resolution = "reshipped" if action == "reship" else "refunded"
    settled = replace(
        case.moved_to(CaseStatus.RESOLVED, now), settlement=settlement, resolution=resolution
    )
    resolved = Resolved(
        cases.order_id,
        case.case_id,
        resolution,
        decision_event_id(case.case_id, "CaseResolved"),
        follows=decided_id,
    )
    return cases.with_case(settled), [decided, resolved]


def _refund(
    cases: OrderCases,
    case: Case,
    purchase: Purchase,
    amount_minor: int | None,
    reason: SettlementReason,
    decided_id: UUID,
) -> RefundDecided:
    amount = purchase.lines_total() if amount_minor is None else amount_minor
    if amount == 0:
        raise NotEligibleError("there is nothing to refund")
    if amount > purchase.order_total_minor:
        raise NotEligibleError(
            f"{amount} is more than the order's total of {purchase.order_total_minor}"
        )
    refund_id = refund_id_of(case.case_id)
    return RefundDecided(
        cases.order_id, case.case_id, refund_id, amount, purchase.currency, reason, decided_id
    )


def refund_inspected(
    cases: OrderCases,
    case: Case,
    purchase: Purchase,
    rma_id: str,
    inspected: Iterable[tuple[str, int]],
    now: datetime,
) -> Decided:
    """Refund what came back of ``case``'s return (nothing when it is settled already) and,
    unless the case ended meanwhile, resolve it: ``refunded``, following the refund, or
    ``returned`` when nothing that came back was in the order."""
    if case.settlement is not None:
        return cases, []  # already refunded
    amount = refund_for_inspection(purchase, inspected)
    refund_id = refund_id_of(case.case_id)
    refund_decision = decision_event_id(case.case_id, "RefundRequested")
    events: list[SupportEvent] = []
    if amount > 0:
        events.append(
            RefundDecided(
                cases.order_id,
                case.case_id,
                refund_id,
                amount,
                purchase.currency,
                "returned",
                refund_decision,
                rma_id=rma_id,
            )
        )
    settled = replace(
        case,
        settlement=Settlement(
            action="refund",
            refund_id=refund_id if amount > 0 else None,
            amount_minor=amount,
            currency=purchase.currency,
        ),
        updated_at=now,
    )
    if not case.ended:
        resolution: Resolution = "refunded" if amount > 0 else "returned"
        settled = replace(settled.moved_to(CaseStatus.RESOLVED, now), resolution=resolution)
        events.append(
            Resolved(
                cases.order_id,
                case.case_id,
                resolution,
                decision_event_id(case.case_id, "CaseResolved"),
                follows=refund_decision if amount > 0 else None,  # else: the inspection
            )
        )
    return cases.with_case(settled), events
