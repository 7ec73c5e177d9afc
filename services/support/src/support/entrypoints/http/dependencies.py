"""What every support route shares: who may call it, who the caller is to support, and the one
answer for "no such order or case" and "not yours"."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import HTTPException

from conveyor_runtime.auth import Caller, require
from support.domain.access import Principal, may_read
from support.domain.cases import Case, TransitionError
from support.domain.timeline import Timeline
from support.usecases.change_case_status import UnknownCaseError
from support.usecases.context import Support

NOT_FOUND = "not found"  # one body for "no such thing" and "not yours"
Responses = dict[int | str, dict[str, Any]]
AGENTS_ONLY: Responses = {403: {"description": "Only agents do this"}}
NO_SUCH_ORDER_OR_CASE: Responses = {
    404: {"description": "No such order or case, or not the caller's"}
}
CANNOT_MOVE: Responses = {409: {"description": "The case cannot move there from its state"}}

# Agents and the buyer of an order read it; support's actions are the agents'.
Reader = Annotated[Caller, require("agent", "buyer")]
agents_only = [require("agent")]


def principal_of(caller: Caller) -> Principal:
    """Support's own view of the caller (``require`` let only agents and buyers in)."""
    return Principal("agent" if caller.role == "agent" else "buyer", caller.subject)


async def readable(support: Support, order_id: str, caller: Principal) -> Timeline:
    """The order's timeline, when ``caller`` may read it; else 404, as if there were none."""
    timeline = await support.timelines.get(order_id)
    if timeline is None or not may_read(caller, timeline):
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return timeline


async def existing_case(support: Support, case_id: str) -> Case:
    """The case, or 404 (who may see it is the caller's order's business: see ``readable``)."""
    cases = await support.cases.with_case(case_id)
    case = cases.case(case_id) if cases else None
    if case is None:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return case


@contextmanager
def answering_moves() -> Iterator[None]:
    """An agent's move of a case, refused as HTTP answers: no such case 404, a move its state
    does not allow 409."""
    try:
        yield
    except UnknownCaseError:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    except TransitionError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None
