"""A seller's own figures and orders at risk: for the seller (bearer tokens of the seller role,
whose subject is the seller id) and for operators. Another seller's answer 404, as if there
were none: a seller never learns whether another exists."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_runtime.auth import AUTH_RESPONSES, Caller, require
from orders.domain.at_risk import AtRisk
from orders.domain.scorecard import LATE_DISPATCH_TARGET, Figure, Figures, Scorecard
from orders.ports import OrderRepository
from orders.usecases.score_seller import seller_orders_at_risk, seller_scorecard

NOT_FOUND = "not found"  # one body for "no such seller" and "not yours"
NOT_YOURS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Another seller's (the seller role reads its own only)"}
}
SellerReader = Annotated[Caller, require("seller", "operator")]


class FigureView(BaseModel):
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator / denominator; null when nothing to count")

    @classmethod
    def of(cls, figure: Figure) -> "FigureView":
        return cls(numerator=figure.numerator, denominator=figure.denominator, rate=figure.rate)


class WindowFiguresView(BaseModel):
    days: int
    since: datetime
    until: datetime
    orders: int = Field(description="The seller's orders accepted in the window.")
    carrier_fault_excluded: int = Field(description="...of which left out of every figure.")
    late_dispatch: FigureView
    late_dispatch_target: float
    within_late_dispatch_target: bool | None
    valid_tracking: FigureView
    on_time_delivery: FigureView
    seller_fault_cancellation: FigureView

    @classmethod
    def of(cls, figures: Figures) -> "WindowFiguresView":
        return cls(
            days=figures.days,
            since=figures.since,
            until=figures.until,
            orders=figures.orders,
            carrier_fault_excluded=figures.carrier_fault_excluded,
            late_dispatch=FigureView.of(figures.late_dispatch),
            late_dispatch_target=LATE_DISPATCH_TARGET,
            within_late_dispatch_target=figures.within_late_dispatch_target,
            valid_tracking=FigureView.of(figures.valid_tracking),
            on_time_delivery=FigureView.of(figures.on_time_delivery),
            seller_fault_cancellation=FigureView.of(figures.seller_fault_cancellation),
        )


class ScorecardView(BaseModel):
    seller_id: str
    at: datetime
    windows: list[WindowFiguresView] = Field(description="Rolling 7 and 30 days, in that order.")

    @classmethod
    def of(cls, card: Scorecard) -> "ScorecardView":
        windows = [WindowFiguresView.of(figures) for figures in card.windows]
        return cls(seller_id=card.seller_id, at=card.at, windows=windows)


class AtRiskView(BaseModel):
    order_id: str
    dispatch_by: datetime
    status: str
    hours_left: float = Field(description="Until the dispatch-by; negative once it passed.")

    @classmethod
    def of(cls, item: AtRisk) -> "AtRiskView":
        return cls(
            order_id=item.order_id,
            dispatch_by=item.dispatch_by,
            status=item.status.label,
            hours_left=item.hours_left,
        )


class AtRiskListView(BaseModel):
    orders: list[AtRiskView]
    within_hours: float
    limit: int


def readable_by(caller: Caller, seller_id: str) -> None:
    """404 unless the caller is an operator or this seller."""
    if caller.role == "seller" and caller.subject != seller_id:
        raise HTTPException(status_code=404, detail=NOT_FOUND)


def sellers_router(orders: OrderRepository, calendar: BusinessCalendar) -> APIRouter:
    router = APIRouter(tags=["sellers"], responses={**AUTH_RESPONSES, **NOT_YOURS})

    @router.get("/sellers/{seller_id}/scorecard")
    async def scorecard(seller_id: str, caller: SellerReader) -> ScorecardView:
        """The seller's figures over the orders accepted in the last 7 and 30 days."""
        readable_by(caller, seller_id)
        card = await seller_scorecard(orders, seller_id, calendar, datetime.now(UTC))
        return ScorecardView.of(card)

    @router.get("/sellers/{seller_id}/orders-at-risk")
    async def at_risk(
        seller_id: str,
        caller: SellerReader,
        within_hours: Annotated[float, Query(ge=0, le=24 * 30)] = 24,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> AtRiskListView:
        """The seller's orders not dispatched yet whose dispatch-by is within ``within_hours``
        or passed, soonest first."""
        readable_by(caller, seller_id)
        within = timedelta(hours=within_hours)
        found = await seller_orders_at_risk(orders, seller_id, datetime.now(UTC), within, limit)
        return AtRiskListView(
            orders=[AtRiskView.of(item) for item in found], within_hours=within_hours, limit=limit
        )

    return router
