"""An agent settles a damaged, lost-parcel or missing-items case: reship lines
(``ReshipmentApproved``, resolved ``reshipped``) or refund (``RefundRequested``, by default the
order's lines total, resolved ``refunded``). Once per case: the same settlement asked again
answers the case as it is and emits nothing; anything else on a settled case is refused."""

from dataclasses import replace
from typing import Any, Literal

from conveyor_contracts.support import CaseResolved, RefundRequested, ReshipmentApproved
from conveyor_contracts.values import Money, StockLine
from conveyor_runtime.outbox import OutboxMessage
from support.domain.aftersales import (
    NotEligibleError,
    Settlement,
    check_lines,
    decision_event_id,
    refund_id_of,
)
from support.domain.cases import SETTLEMENT_REASONS, Case, CaseStatus, OrderCases
from support.usecases.change_case_status import UnknownCaseError
from support.usecases.context import Support
from support.usecases.emit import case_event, order_event


def _same(
    settlement: Settlement, action: str, lines: tuple[StockLine, ...], amount: int | None
) -> bool:
    if settlement.action != action:
        return False
    if action == "reship":
        return sorted((line.sku, line.quantity) for line in settlement.lines) == sorted(
            (line.sku, line.quantity) for line in lines
        )
    return amount is None or amount == settlement.amount_minor


async def settle_case(
    case_id: str,
    action: Literal["reship", "refund"],
    support: Support,
    *,
    lines: tuple[StockLine, ...] = (),
    amount_minor: int | None = None,
) -> Case:
    """Raises ``UnknownCaseError`` or ``NotEligibleError`` (another kind of case, already
    settled or resolved, lines not in the order, an amount above the order's total)."""
    holder = await support.cases.with_case(case_id)
    if holder is None:
        raise UnknownCaseError(case_id)
    now = support.clock()

    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        case = cases.case(case_id)
        if case is None:
            raise UnknownCaseError(case_id)
        reason = SETTLEMENT_REASONS.get(case.kind)
        if reason is None:
            raise NotEligibleError(f"a {case.kind} case is not settled by reship or refund")
        if case.settlement is not None:
            if _same(case.settlement, action, lines, amount_minor):
                return cases, []
            raise NotEligibleError(f"the case was already settled by {case.settlement.action}")
        if case.ended:
            raise NotEligibleError(f"the case is already {case.status.value}")
        purchase = cases.purchase
        if purchase is None:
            raise NotEligibleError("the order's details have not reached support yet")
        envelope: dict[str, Any] = {
            "occurred_at": now,
            "correlation_id": cases.correlation_id,
            "producer": "support",
            "order_id": cases.order_id,
            "case_id": case_id,
        }
        decided_id = decision_event_id(case_id, action)
        messages: list[OutboxMessage]
        if action == "reship":
            check_lines(purchase, ((line.sku, line.quantity) for line in lines))
            reship = ReshipmentApproved(event_id=decided_id, lines=lines, reason=reason, **envelope)
            messages = [order_event(reship, support.topics.cases)]
            settlement = Settlement(action="reship", lines=lines)
            resolution: Literal["reshipped", "refunded"] = "reshipped"
        else:
            amount = purchase.lines_total() if amount_minor is None else amount_minor
            if amount == 0:
                raise NotEligibleError("there is nothing to refund")
            if amount > purchase.order_total_minor:
                raise NotEligibleError(
                    f"{amount} is more than the order's total of {purchase.order_total_minor}"
                )
            refund_id = refund_id_of(case_id)
            refund = RefundRequested(
                event_id=decided_id,
                refund_id=refund_id,
                amount=Money(amount_minor=amount, currency=purchase.currency),
                reason=reason,
                **envelope,
            )
            messages = [order_event(refund, support.topics.refunds)]
            settlement = Settlement(
                action="refund", refund_id=refund_id, amount_minor=amount,
                currency=purchase.currency,
            )  # fmt: skip
            resolution = "refunded"
        settled = replace(
            case.moved_to(CaseStatus.RESOLVED, now), settlement=settlement, resolution=resolution
        )
        messages.append(
            case_event(
                CaseResolved,
                cases,
                settled,
                support.topics,
                event_id=decision_event_id(case_id, "CaseResolved"),
                causation_id=decided_id,
                now=now,
                resolution=resolution,
            )
        )
        return cases.with_case(settled), messages

    changed = await support.cases.update(holder.order_id, change)
    result = changed.case(case_id) if changed else None
    if result is None:
        raise UnknownCaseError(case_id)
    return result
