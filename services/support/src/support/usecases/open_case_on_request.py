"""A buyer or an agent opens a case; a where-is-my-order case is answered from the timeline at
once and resolved."""

from dataclasses import replace

from support.domain.access import Principal
from support.domain.cases import Case, CaseStatus, OrderCases, RequestKind, open_requested_case
from support.domain.events import SupportEvent
from support.domain.timeline import Timeline
from support.domain.whereabouts import where_is
from support.usecases.context import Support, upsert_cases


async def open_case_on_request(
    timeline: Timeline,
    kind: RequestKind,
    principal: Principal,
    support: Support,
    *,
    summary: str | None = None,
    shipment_id: str | None = None,
) -> Case:
    """Open a case on an order the caller may read (the caller checked it)."""
    cause = support.action()
    now = cause.at
    case_id = "case_" + support.new_id().hex
    opened_id, resolved_id = support.new_id(), support.new_id()
    case = Case(
        case_id=case_id,
        order_id=timeline.order_id,
        kind=kind,
        opened_by=principal.role,
        opened_at=now,
        status=CaseStatus.OPEN,
        respond_by=now + support.first_response,
        shipment_id=shipment_id,
        summary=summary,
        updated_at=now,
    )
    if kind == "where_is_my_order":
        case = replace(
            case,
            status=CaseStatus.RESOLVED,
            respond_by=None,
            resolution="answered",
            answer=where_is(timeline).as_answer(),
        )

    def change(cases: OrderCases) -> tuple[OrderCases, list[SupportEvent]]:
        return open_requested_case(cases, case, opened_id, resolved_id)

    after = await upsert_cases(support, timeline.order_id, timeline.correlation_id, change, cause)
    return after.case(case_id) or case
