"""A returned parcel was inspected: the buyer is refunded what came back (unit price times quantity
of every inspected line, in the order's currency) with one ``RefundRequested``, and the case is
resolved ``refunded``. Once per RMA, however often the inspection is redelivered or repeated."""

import logging

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.warehouse import ReturnInspected
from support.domain.cases import OrderCases
from support.domain.decisions import refund_inspected
from support.domain.events import SupportEvent
from support.usecases.context import Support

log = logging.getLogger(__name__)


async def refund_on_inspection(event: OrderEnvelope, support: Support) -> None:
    if not isinstance(event, ReturnInspected) or event.rma_id is None:
        return  # a parcel returned to sender has no RMA: nothing was promised
    rma_id = event.rma_id
    inspected = tuple((line.sku, line.quantity) for line in event.lines)
    cause = support.cause_of(event)

    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        case = cases.with_rma(rma_id)
        if case is None or cases.purchase is None:
            log.warning(
                "inspected return not refunded",
                extra={"order_id": cases.order_id, "rma_id": rma_id},
            )
            return cases, []  # unknown RMA
        return refund_inspected(cases, case, cases.purchase, rma_id, inspected, cause.at)

    await support.cases.update(event.order_id, change, cause)
