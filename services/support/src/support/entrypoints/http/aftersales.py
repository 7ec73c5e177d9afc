"""After-sales actions on a case: authorising a return, and settling (reship or refund)."""

from typing import Literal, Self

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, model_validator

from conveyor_contracts.support import ReturnLine
from conveyor_contracts.values import Quantity, Sku, StockLine
from support.domain.aftersales import NotEligibleError
from support.entrypoints.http.cases import CaseView
from support.entrypoints.http.dependencies import (
    AGENTS_ONLY,
    NO_SUCH_ORDER_OR_CASE,
    NOT_FOUND,
    Reader,
    agents_only,
    existing_case,
    principal_of,
    readable,
)
from support.usecases.authorise_return import authorise_return
from support.usecases.change_case_status import UnknownCaseError
from support.usecases.context import Support
from support.usecases.settle_case import settle_case


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


def aftersales_routes(support: Support) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/cases/{case_id}/return",
        responses={
            **NO_SUCH_ORDER_OR_CASE,
            403: {"description": "Buyers ask for returns on their return_request cases only"},
            409: {"description": "Not eligible: not delivered, window closed, lines not ordered"},
        },
    )
    async def ask_return(case_id: str, body: AskReturn, caller: Reader) -> CaseView:
        principal = principal_of(caller)
        case = await existing_case(support, case_id)
        if not principal.is_agent:
            await readable(support, case.order_id, principal)
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
            **NO_SUCH_ORDER_OR_CASE,
            **AGENTS_ONLY,
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
