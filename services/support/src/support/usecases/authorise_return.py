"""An agent (or the buyer of a ``return_request`` case) asks to send lines back: if the order was
delivered, the request is within the market's return window and the lines were ordered, a return
is authorised (``ReturnAuthorised``, through the outbox) and the case waits for the parcel.

Idempotent: the same request on the same case answers the same RMA and emits nothing."""

from conveyor_contracts.support import ReturnLine
from support.domain import decisions
from support.domain.access import Principal
from support.domain.cases import Case, OrderCases
from support.domain.events import SupportEvent
from support.usecases.change_case_status import UnknownCaseError
from support.usecases.context import Support


async def authorise_return(
    case_id: str, lines: tuple[ReturnLine, ...], principal: Principal, support: Support
) -> Case:
    """Authorise the return; raises ``UnknownCaseError``, ``PermissionError`` (a buyer on a case
    that is not a return request) or ``NotEligibleError``. The caller checked the buyer may read
    the case's order."""
    holder = await support.cases.with_case(case_id)
    if holder is None:
        raise UnknownCaseError(case_id)
    cause = support.action()

    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        case = cases.case(case_id)
        if case is None:
            raise UnknownCaseError(case_id)
        return decisions.authorise_return(cases, case, lines, principal, support.returns, cause.at)

    changed = await support.cases.update(holder.order_id, change, cause)
    result = changed.case(case_id) if changed else None
    if result is None:
        raise UnknownCaseError(case_id)
    return result
