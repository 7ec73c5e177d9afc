"""Sellers' inbound cases: a seller reads its own, an agent reads every seller's and moves them.

A seller token reaches only its own cases: another seller's answers 404, exactly as one that
does not exist (no confirmation that it does)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from conveyor_runtime.auth import Caller, require
from support.domain.cases import CaseStatus, Resolution
from support.domain.inbound_cases import InboundCase, InboundOutcome
from support.entrypoints.http.cases import ChangeStatus
from support.entrypoints.http.dependencies import (
    AGENTS_ONLY,
    CANNOT_MOVE,
    NOT_FOUND,
    Responses,
    agents_only,
    answering_moves,
)
from support.usecases.change_inbound_case_status import change_inbound_case_status
from support.usecases.context import Support

SellerOrAgent = Annotated[Caller, require("agent", "seller")]
NO_SUCH_CASE: Responses = {404: {"description": "No such case, or another seller's"}}


class DiscrepancyView(BaseModel):
    kind: str
    sku: str | None
    expected: int | None
    received: int | None
    found_at: datetime


class InboundCaseView(BaseModel):
    case_id: str
    asn_id: str
    seller_id: str
    warehouse_id: str
    opened_at: datetime
    status: CaseStatus
    respond_by: datetime | None
    escalated: bool
    escalated_at: datetime | None
    discrepancies: list[DiscrepancyView]
    outcome: InboundOutcome | None
    resolution: Resolution | None

    @classmethod
    def of(cls, case: InboundCase) -> "InboundCaseView":
        fields = {name: getattr(case, name) for name in cls.model_fields if name != "discrepancies"}
        return cls(
            **fields,
            discrepancies=[DiscrepancyView(**d.__dict__) for d in case.discrepancies],
        )


def _may_read(caller: Caller, case: InboundCase | None) -> InboundCase:
    if case is None or (caller.role == "seller" and caller.subject != case.seller_id):
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return case


def inbound_case_routes(support: Support) -> APIRouter:
    router = APIRouter()
    newest = Query(default=50, ge=1, le=200, description="How many, newest first.")

    @router.get("/sellers/{seller_id}/inbound-cases", responses=NO_SUCH_CASE)
    async def seller_cases(
        seller_id: str, caller: SellerOrAgent, limit: int = newest
    ) -> list[InboundCaseView]:
        if caller.role == "seller" and caller.subject != seller_id:
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return [InboundCaseView.of(c) for c in await support.inbound.listed(seller_id, limit=limit)]

    @router.get("/inbound-cases", dependencies=agents_only, responses=AGENTS_ONLY)
    async def every_case(limit: int = newest) -> list[InboundCaseView]:
        return [InboundCaseView.of(c) for c in await support.inbound.listed(None, limit=limit)]

    @router.get("/inbound-cases/{case_id}", responses=NO_SUCH_CASE)
    async def one_case(case_id: str, caller: SellerOrAgent) -> InboundCaseView:
        return InboundCaseView.of(_may_read(caller, await support.inbound.get(case_id)))

    @router.post(
        "/inbound-cases/{case_id}/status",
        dependencies=agents_only,
        responses={**NO_SUCH_CASE, **AGENTS_ONLY, **CANNOT_MOVE},
    )
    async def change_status(case_id: str, body: ChangeStatus) -> InboundCaseView:
        with answering_moves():
            case = await change_inbound_case_status(
                case_id, CaseStatus(body.status), body.resolution, support
            )
        return InboundCaseView.of(case)

    return router
