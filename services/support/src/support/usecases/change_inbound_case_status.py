"""An agent moves a seller's inbound case: waiting (on the seller or the warehouse), resolved
or closed, with how it ended."""

from support.domain.cases import CaseStatus, Resolution
from support.domain.inbound_cases import InboundCase
from support.usecases.change_case_status import UnknownCaseError
from support.usecases.context import Support


async def change_inbound_case_status(
    case_id: str, status: CaseStatus, resolution: Resolution | None, support: Support
) -> InboundCase:
    """Move the case; raises ``UnknownCaseError`` or ``TransitionError``."""
    now = support.clock()
    moved = await support.inbound.update(
        case_id, lambda case: case.moved_to(status, resolution, now)
    )
    if moved is None:
        raise UnknownCaseError(case_id)
    return moved
