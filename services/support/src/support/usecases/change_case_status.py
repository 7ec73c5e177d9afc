"""An agent moves a case: waiting, resolved or closed. Resolving (or closing a case that was
never resolved) tells the mesh how it ended with ``CaseResolved``."""

from dataclasses import replace

from conveyor_contracts.support import CaseResolved
from conveyor_runtime.outbox import OutboxMessage
from support.domain.cases import Case, CaseStatus, OrderCases, Resolution
from support.usecases.context import Support
from support.usecases.emit import case_event


class UnknownCaseError(LookupError):
    pass


async def change_case_status(
    case_id: str, status: CaseStatus, resolution: Resolution | None, support: Support
) -> Case:
    """Move the case; raises ``UnknownCaseError`` or ``TransitionError``."""
    holder = await support.cases.with_case(case_id)
    if holder is None:
        raise UnknownCaseError(case_id)
    now = support.clock()
    event_id = support.new_id()

    def change(cases: OrderCases) -> tuple[OrderCases, list[OutboxMessage]]:
        case = cases.case(case_id)
        if case is None:
            raise UnknownCaseError(case_id)
        moved = case.moved_to(status, now)
        if moved == case:
            return cases, []
        messages: list[OutboxMessage] = []
        if status is CaseStatus.RESOLVED or (
            status is CaseStatus.CLOSED and case.resolution is None
        ):
            ending: Resolution = resolution or "no_action"
            moved = replace(moved, resolution=ending)
            messages.append(
                case_event(
                    CaseResolved,
                    cases,
                    moved,
                    support.topics,
                    event_id=event_id,
                    causation_id=None,
                    now=now,
                    resolution=ending,
                )
            )
        return cases.with_case(moved), messages

    changed = await support.cases.update(holder.order_id, change)
    if changed is None:
        raise UnknownCaseError(case_id)
    result = changed.case(case_id)
    assert result is not None
    return result
