"""Cases: opening one on an order, reading one, and an agent moving one along. ``CaseView`` is
every case route's answer, the after-sales ones' too."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from conveyor_contracts.values import OrderId, ShipmentId
from support.domain.aftersales import ReturnAuthorisation, Settlement
from support.domain.cases import (
    Case,
    CaseKind,
    CaseStatus,
    RequestKind,
    Resolution,
)
from support.entrypoints.http.dependencies import (
    AGENTS_ONLY,
    CANNOT_MOVE,
    NO_SUCH_ORDER_OR_CASE,
    Reader,
    agents_only,
    answering_moves,
    existing_case,
    principal_of,
    readable,
)
from support.usecases.change_case_status import change_case_status
from support.usecases.context import Support
from support.usecases.open_case_on_request import open_case_on_request


class ReturnLineView(BaseModel):
    sku: str
    quantity: int
    reason: str


class RmaView(BaseModel):
    """The return authorised on a case (no address: the carrier has it, not the API)."""

    rma_id: str
    lines: list[ReturnLineView]
    return_to: str
    expires_on: str
    authorised_at: datetime

    @classmethod
    def of(cls, rma: ReturnAuthorisation) -> "RmaView":
        return cls(
            rma_id=rma.rma_id,
            lines=[ReturnLineView(**line.model_dump()) for line in rma.lines],
            return_to=rma.return_to,
            expires_on=rma.expires_on,
            authorised_at=rma.authorised_at,
        )


class StockLineView(BaseModel):
    sku: str
    quantity: int


class SettlementView(BaseModel):
    action: str
    lines: list[StockLineView]
    refund_id: str | None
    amount_minor: int | None
    currency: str | None

    @classmethod
    def of(cls, settlement: Settlement) -> "SettlementView":
        return cls(
            action=settlement.action,
            lines=[StockLineView(**line.model_dump()) for line in settlement.lines],
            refund_id=settlement.refund_id,
            amount_minor=settlement.amount_minor,
            currency=settlement.currency,
        )


class CaseView(BaseModel):
    case_id: str
    order_id: str
    kind: CaseKind
    opened_by: str
    opened_at: datetime
    status: CaseStatus
    respond_by: datetime | None
    escalated: bool
    escalated_at: datetime | None
    resolution: Resolution | None
    shipment_id: str | None
    seller_ids: tuple[str, ...] = ()
    summary: str | None
    answer: dict[str, str | None] | None
    rma: RmaView | None = None
    settlement: SettlementView | None = None

    @classmethod
    def of(cls, case: Case) -> "CaseView":
        fields = {
            name: getattr(case, name)
            for name in cls.model_fields
            if name not in ("rma", "settlement")
        }
        return cls(
            **fields,
            rma=RmaView.of(case.rma) if case.rma else None,
            settlement=SettlementView.of(case.settlement) if case.settlement else None,
        )


class OpenCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: OrderId
    kind: RequestKind = Field(description="What the case is about.")
    summary: str | None = Field(
        default=None, min_length=1, max_length=500, description="What the buyer or agent wrote."
    )
    shipment_id: ShipmentId | None = None


class ChangeStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["waiting", "resolved", "closed"]
    resolution: Resolution | None = Field(
        default=None, description="How the case ended; 'no_action' when not given."
    )


def case_routes(support: Support) -> APIRouter:
    router = APIRouter()

    @router.post("/cases", status_code=201, responses=NO_SUCH_ORDER_OR_CASE)
    async def open_case(body: OpenCase, caller: Reader) -> CaseView:
        principal = principal_of(caller)
        timeline = await readable(support, body.order_id, principal)
        case = await open_case_on_request(
            timeline,
            body.kind,
            principal,
            support,
            summary=body.summary,
            shipment_id=body.shipment_id,
        )
        return CaseView.of(case)

    @router.get("/cases/{case_id}", responses=NO_SUCH_ORDER_OR_CASE)
    async def get_case(case_id: str, caller: Reader) -> CaseView:
        case = await existing_case(support, case_id)
        if caller.role != "agent":  # an agent reads every case
            await readable(support, case.order_id, principal_of(caller))
        return CaseView.of(case)

    @router.post(
        "/cases/{case_id}/status",
        dependencies=agents_only,
        responses={**NO_SUCH_ORDER_OR_CASE, **AGENTS_ONLY, **CANNOT_MOVE},
    )
    async def change_status(case_id: str, body: ChangeStatus) -> CaseView:
        with answering_moves():
            case = await change_case_status(
                case_id, CaseStatus(body.status), body.resolution, support
            )
        return CaseView.of(case)

    return router
