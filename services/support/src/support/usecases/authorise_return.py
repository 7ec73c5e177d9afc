"""An agent (or the buyer of a ``return_request`` case) asks to send lines back: if the order was
delivered, the request is within the market's return window and the lines were ordered, a return
is authorised (``ReturnAuthorised``, through the outbox) and the case waits for the parcel.

Idempotent: the same request on the same case answers the same RMA and emits nothing."""

from dataclasses import replace

from conveyor_contracts.support import ReturnAuthorised, ReturnLine
from conveyor_runtime.outbox import OutboxMessage
from support.domain.access import Principal
from support.domain.aftersales import (
    NotEligibleError,
    ReturnAuthorisation,
    check_return,
    decision_event_id,
    expiry,
    rma_id_of,
    same_lines,
)
from support.domain.cases import Case, CaseStatus, OrderCases
from support.usecases.change_case_status import UnknownCaseError
from support.usecases.context import Support
from support.usecases.emit import order_event


async def authorise_return(
    case_id: str, lines: tuple[ReturnLine, ...], principal: Principal, support: Support
) -> Case:
    """Authorise the return; raises ``UnknownCaseError``, ``PermissionError`` (a buyer on a case
    that is not a return request) or ``NotEligibleError``. The caller checked the buyer may read
    the case's order."""
    holder = await support.cases.with_case(case_id)
    if holder is None:
        raise UnknownCaseError(case_id)
    now = support.clock()

    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        case = cases.case(case_id)
        if case is None:
            raise UnknownCaseError(case_id)
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
            support.returns,
            already_authorised=cases.authorised(besides=case_id),
        )
        purchase = cases.purchase
        assert purchase is not None  # check_return refuses an unknown purchase
        rma = ReturnAuthorisation(
            rma_id=rma_id_of(case_id),
            lines=lines,
            return_to=return_to,
            expires_on=expiry(now, support.returns).isoformat(),
            authorised_at=now,
        )
        event = ReturnAuthorised(
            event_id=decision_event_id(case_id, "ReturnAuthorised"),
            occurred_at=now,
            correlation_id=cases.correlation_id,
            producer="support",
            order_id=cases.order_id,
            case_id=case_id,
            rma_id=rma.rma_id,
            lines=lines,
            collect_from=purchase.ship_to,
            sender=purchase.recipient,
            return_to=return_to,
            expires_on=expiry(now, support.returns),
        )
        waiting = replace(case.moved_to(CaseStatus.WAITING, now), rma=rma, updated_at=now)
        return cases.with_case(waiting), [order_event(event, support.topics.cases)]

    changed = await support.cases.update(holder.order_id, change)
    result = changed.case(case_id) if changed else None
    if result is None:
        raise UnknownCaseError(case_id)
    return result
