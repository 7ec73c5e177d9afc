"""An agent moves a case: waiting, resolved or closed. Resolving (or closing a case that was
never resolved) tells the mesh how it ended with ``CaseResolved``."""

from support.domain.cases import Case, CaseStatus, OrderCases, Resolution, move_case
from support.domain.events import SupportEvent
from support.usecases.context import Support


class UnknownCaseError(LookupError):
    pass


async def change_case_status(
    case_id: str, status: CaseStatus, resolution: Resolution | None, support: Support
) -> Case:
    """Move the case; raises ``UnknownCaseError`` or ``TransitionError``."""
    holder = await support.cases.with_case(case_id)
    if holder is None:
        raise UnknownCaseError(case_id)
    cause = support.action()
    decision_id = support.new_id()

    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        case = cases.case(case_id)
        if case is None:
            raise UnknownCaseError(case_id)
        return move_case(cases, case, status, resolution, cause.at, decision_id)

    changed = await support.cases.update(holder.order_id, change, cause)
    if changed is None:
        raise UnknownCaseError(case_id)
    result = changed.case(case_id)
    assert result is not None
    return result
