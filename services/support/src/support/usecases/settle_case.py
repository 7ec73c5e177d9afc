"""An agent settles a damaged, lost-parcel or missing-items case: reship lines
(``ReshipmentApproved``, resolved ``reshipped``) or refund (``RefundRequested``, by default the
order's lines total, resolved ``refunded``). Once per case: the same settlement asked again
answers the case as it is and emits nothing; anything else on a settled case is refused."""

from conveyor_contracts.values import StockLine
from support.domain.cases import Case, OrderCases
from support.domain.decisions import Action, settle
from support.domain.events import SupportEvent
from support.usecases.change_case_status import UnknownCaseError
from support.usecases.context import Support


async def settle_case(
    case_id: str,
    action: Action,
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
    cause = support.action()

    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        case = cases.case(case_id)
        if case is None:
            raise UnknownCaseError(case_id)
        return settle(cases, case, action, cause.at, lines=lines, amount_minor=amount_minor)

    changed = await support.cases.update(holder.order_id, change, cause)
    result = changed.case(case_id) if changed else None
    if result is None:
        raise UnknownCaseError(case_id)
    return result
