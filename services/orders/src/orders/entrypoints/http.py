"""The orders read API, and the stuck-orders listing: for operators (bearer tokens of the
operator role; buyers follow their orders through support)."""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from conveyor_runtime.auth import AUTH_RESPONSES, require
from orders.domain.order import Order
from orders.domain.stuck import Allowances, StuckOrder
from orders.ports import OrderRepository
from orders.usecases.find_stuck_orders import find_stuck_orders


class LineView(BaseModel):
    sku: str
    quantity: int
    unit_price_minor: int
    seller_id: str | None


class WindowView(BaseModel):
    earliest: date
    latest: date


class StatusChangeView(BaseModel):
    status: str
    at: datetime


class OrderView(BaseModel):
    order_id: str
    status: str
    market: str
    currency: str
    lines: list[LineView]
    history: list[StatusChangeView]
    dispatch_by: datetime | None
    promised_delivery: WindowView | None

    @classmethod
    def of(cls, order: Order) -> "OrderView":
        return cls(
            order_id=order.order_id,
            status=order.status.label,
            market=order.market,
            currency=order.currency,
            lines=[
                LineView(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price_minor=line.unit_price_minor,
                    seller_id=line.seller_id,
                )
                for line in order.lines
            ],
            history=[StatusChangeView(status=c.status.label, at=c.at) for c in order.history],
            dispatch_by=order.dispatch_by,
            promised_delivery=_window(order),
        )


def _window(order: Order) -> WindowView | None:
    window = order.promised_delivery
    return None if window is None else WindowView(earliest=window.earliest, latest=window.latest)


class StuckOrderView(BaseModel):
    """An order past its status's allowance: ids and times only, nothing about the buyer."""

    order_id: str
    status: str
    since: datetime
    allowed_seconds: float
    waiting_seconds: float
    trace_id: str | None

    @classmethod
    def of(cls, item: StuckOrder, now: datetime) -> "StuckOrderView":
        return cls(
            order_id=item.order_id,
            status=item.status.label,
            since=item.since,
            allowed_seconds=item.allowed.total_seconds(),
            waiting_seconds=(now - item.since).total_seconds(),
            trace_id=item.trace_id,
        )


class StuckOrdersView(BaseModel):
    orders: list[StuckOrderView]
    limit: int


def orders_router(orders: OrderRepository, allowances: Allowances) -> APIRouter:
    router = APIRouter(
        tags=["orders"], dependencies=[require("operator")], responses=AUTH_RESPONSES
    )

    @router.get("/stuck-orders")
    async def stuck_orders(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> StuckOrdersView:
        """Orders waiting in a status longer than it allows, longest waiting first."""
        now = datetime.now(UTC)
        found = await find_stuck_orders(orders, allowances, now, limit)
        return StuckOrdersView(orders=[StuckOrderView.of(item, now) for item in found], limit=limit)

    @router.get("/orders/{order_id}", responses={404: {"description": "No order with this id"}})
    async def get_order(order_id: str) -> OrderView:
        order = await orders.get(order_id)
        if order is None:
            raise HTTPException(status_code=404, detail=f"no order {order_id!r}")
        return OrderView.of(order)

    return router
