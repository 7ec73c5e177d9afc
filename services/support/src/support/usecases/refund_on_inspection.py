"""A returned parcel was inspected: the buyer is refunded what came back (unit price times quantity
of every inspected line, in the order's currency) with one ``RefundRequested``, and the case is
resolved ``refunded``. Once per RMA, however often the inspection is redelivered or repeated."""

import logging
from dataclasses import replace

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.support import CaseResolved, RefundRequested
from conveyor_contracts.values import Money
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.outbox import OutboxMessage
from support.domain.aftersales import (
    Settlement,
    decision_event_id,
    refund_for_inspection,
    refund_id_of,
)
from support.domain.cases import CaseStatus, OrderCases, Resolution
from support.usecases.context import Support
from support.usecases.emit import case_event, order_event

log = logging.getLogger(__name__)


async def refund_on_inspection(event: OrderEnvelope, support: Support) -> None:
    if not isinstance(event, ReturnInspected) or event.rma_id is None:
        return  # a parcel returned to sender has no RMA: nothing was promised
    rma_id = event.rma_id
    now = support.clock()

    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        case = cases.with_rma(rma_id)
        if case is None or case.settlement is not None or cases.purchase is None:
            if case is None or cases.purchase is None:
                log.warning(
                    "inspected return not refunded",
                    extra={"order_id": cases.order_id, "rma_id": rma_id},
                )
            return cases, []  # unknown RMA, or already refunded
        purchase = cases.purchase
        amount = refund_for_inspection(
            purchase, ((line.sku, line.quantity) for line in event.lines)
        )
        refund_id = refund_id_of(case.case_id)
        messages: list[OutboxMessage] = []
        refund_event_id = decision_event_id(case.case_id, "RefundRequested")
        if amount > 0:
            refund = RefundRequested(
                event_id=refund_event_id,
                occurred_at=now,
                correlation_id=cases.correlation_id,
                causation_id=event.event_id,
                producer="support",
                order_id=cases.order_id,
                refund_id=refund_id,
                case_id=case.case_id,
                rma_id=rma_id,
                amount=Money(amount_minor=amount, currency=purchase.currency),
                reason="returned",
            )
            messages.append(order_event(refund, support.topics.refunds))
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
            messages.append(
                case_event(
                    CaseResolved,
                    cases,
                    settled,
                    support.topics,
                    event_id=decision_event_id(case.case_id, "CaseResolved"),
                    causation_id=refund_event_id if amount > 0 else event.event_id,
                    now=now,
                    resolution=resolution,
                )
            )
        return cases.with_case(settled), messages

    await support.cases.update(event.order_id, change)
