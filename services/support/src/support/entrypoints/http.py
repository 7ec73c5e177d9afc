"""The support HTTP API: timelines, where-is-my-order, cases, returns and settlements, for
bearer tokens of the agent and buyer roles (``conveyor_runtime.auth``; operators get 403).

Agents see every order; a buyer sees only the orders placed with their buyer id. An order (or
case) a buyer may not see answers exactly like one that does not exist, so the API never tells
a buyer which order ids exist.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, model_validator

from conveyor_contracts.support import ReturnLine
from conveyor_contracts.values import OrderId, Quantity, ShipmentId, Sku, StockLine
from conveyor_runtime.auth import AUTH_RESPONSES, Caller, require
from support.domain.access import Principal, may_read
from support.domain.aftersales import NotEligibleError, ReturnAuthorisation, Settlement
from support.domain.cases import (
    Case,
    CaseKind,
    CaseStatus,
    RequestKind,
    Resolution,
    TransitionError,
)
from support.domain.timeline import Entry, Fact, Timeline
from support.domain.whereabouts import Parcel, where_is
from support.settings import SupportSettings
from support.usecases.authorise_return import authorise_return
from support.usecases.change_case_status import UnknownCaseError, change_case_status
from support.usecases.context import Support
from support.usecases.open_case_on_request import open_case_on_request
from support.usecases.settle_case import settle_case

NOT_FOUND = "not found"  # one body for "no such thing" and "not yours"
Responses = dict[int | str, dict[str, Any]]
_AGENTS_ONLY: Responses = {403: {"description": "Only agents do this"}}
_NOT_FOUND: Responses = {404: {"description": "No such order or case, or not the caller's"}}


class EntryView(BaseModel):
    event_id: str
    event_type: str
    occurred_at: datetime
    service: str
    topic: str
    facts: dict[str, Fact]
    trace_id: str | None
    causation_id: str | None

    @classmethod
    def of(cls, entry: Entry) -> "EntryView":
        return cls(**entry.__dict__)


class TimelineView(BaseModel):
    order_id: str
    entries: list[EntryView]  # causal order: a cause before its effects, else by time


class ParcelView(BaseModel):
    shipment_id: str
    status: str
    carrier_code: str | None
    tracking_number: str | None
    deliver_by: str | None
    delayed: bool

    @classmethod
    def of(cls, parcel: Parcel) -> "ParcelView":
        return cls(**parcel.__dict__)


class WhereView(BaseModel):
    order_id: str
    status: str
    carrier_code: str | None
    tracking_number: str | None
    deliver_by: str | None  # the promised delivery date (ISO instant), when a carrier has it
    parcels: list[ParcelView]
    last_update: str | None


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


class ReturnLineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: Quantity
    reason: Literal["damaged", "wrong_item", "not_as_described", "changed_mind", "other"]


class AskReturn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLineBody] = Field(min_length=1, max_length=100)


class StockLineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: Quantity


class Settle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["reship", "refund"]
    lines: list[StockLineBody] | None = Field(
        default=None, max_length=100, description="What to send again (reship only)."
    )
    amount_minor: int | None = Field(
        default=None,
        ge=1,
        le=100_000_000,
        description="To refund, in the order's minor unit; default the order's lines total.",
    )

    @model_validator(mode="after")
    def _fits_the_action(self) -> Self:
        if self.action == "reship" and not self.lines:
            raise ValueError("a reship needs lines")
        if self.action == "reship" and self.amount_minor is not None:
            raise ValueError("a reship has no amount")
        if self.action == "refund" and self.lines:
            raise ValueError("a refund takes an amount, not lines")
        return self


def _principal(caller: Caller) -> Principal:
    """Support's own view of the caller (``require`` let only agents and buyers in)."""
    return Principal("agent" if caller.role == "agent" else "buyer", caller.subject)


def support_router(support: Support, settings: SupportSettings) -> APIRouter:
    router = APIRouter(tags=["support"], responses={401: AUTH_RESPONSES[401]})
    # Agents and the buyer of an order read it; support's actions are the agents'.
    Reader = Annotated[Caller, require("agent", "buyer")]  # noqa: N806
    agents_only = [require("agent")]

    async def readable(order_id: str, caller: Principal) -> Timeline:
        timeline = await support.timelines.get(order_id)
        if timeline is None or not may_read(caller, timeline):
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return timeline

    @router.get("/orders/{order_id}/timeline", responses=_NOT_FOUND)
    async def get_timeline(order_id: str, caller: Reader) -> TimelineView:
        timeline = await readable(order_id, _principal(caller))
        return TimelineView(
            order_id=order_id, entries=[EntryView.of(entry) for entry in timeline.entries]
        )

    @router.get("/orders/{order_id}/where", responses=_NOT_FOUND)
    async def where_is_my_order(order_id: str, caller: Reader) -> WhereView:
        whereabouts = where_is(await readable(order_id, _principal(caller)))
        return WhereView(
            order_id=whereabouts.order_id,
            status=whereabouts.status,
            carrier_code=whereabouts.carrier_code,
            tracking_number=whereabouts.tracking_number,
            deliver_by=whereabouts.deliver_by,
            parcels=[ParcelView.of(parcel) for parcel in whereabouts.parcels],
            last_update=whereabouts.last_update,
        )

    @router.post("/cases", status_code=201, responses=_NOT_FOUND)
    async def open_case(body: OpenCase, caller: Reader) -> CaseView:
        principal = _principal(caller)
        timeline = await readable(body.order_id, principal)
        case = await open_case_on_request(
            timeline,
            body.kind,
            principal,
            support,
            summary=body.summary,
            shipment_id=body.shipment_id,
        )
        return CaseView.of(case)

    @router.get("/cases/{case_id}", responses=_NOT_FOUND)
    async def get_case(case_id: str, caller: Reader) -> CaseView:
        cases = await support.cases.with_case(case_id)
        case = cases.case(case_id) if cases else None
        if case is None:
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        if caller.role != "agent":  # an agent reads every case
            await readable(case.order_id, _principal(caller))
        return CaseView.of(case)

    @router.post(
        "/cases/{case_id}/status",
        dependencies=agents_only,
        responses={
            **_NOT_FOUND,
            **_AGENTS_ONLY,
            409: {"description": "The case cannot move there from its state"},
        },
    )
    async def change_status(case_id: str, body: ChangeStatus) -> CaseView:
        try:
            case = await change_case_status(
                case_id, CaseStatus(body.status), body.resolution, support
            )
        except UnknownCaseError:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from None
        except TransitionError as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        return CaseView.of(case)

    @router.post(
        "/cases/{case_id}/return",
        responses={
            **_NOT_FOUND,
            403: {"description": "Buyers ask for returns on their return_request cases only"},
            409: {"description": "Not eligible: not delivered, window closed, lines not ordered"},
        },
    )
    async def ask_return(case_id: str, body: AskReturn, caller: Reader) -> CaseView:
        principal = _principal(caller)
        cases = await support.cases.with_case(case_id)
        case = cases.case(case_id) if cases else None
        if case is None:
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        if not principal.is_agent:
            await readable(case.order_id, principal)
        lines = tuple(ReturnLine(**line.model_dump()) for line in body.lines)
        try:
            case = await authorise_return(case_id, lines, principal, support)
        except UnknownCaseError:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from None
        except PermissionError as error:
            raise HTTPException(status_code=403, detail=str(error)) from None
        except NotEligibleError as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        return CaseView.of(case)

    @router.post(
        "/cases/{case_id}/resolution",
        dependencies=agents_only,
        responses={
            **_NOT_FOUND,
            **_AGENTS_ONLY,
            409: {"description": "Another kind of case, already settled, or not possible"},
        },
    )
    async def settle(case_id: str, body: Settle) -> CaseView:
        lines = tuple(StockLine(**line.model_dump()) for line in body.lines or ())
        try:
            case = await settle_case(
                case_id, body.action, support, lines=lines, amount_minor=body.amount_minor
            )
        except UnknownCaseError:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from None
        except NotEligibleError as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        return CaseView.of(case)

    return router
