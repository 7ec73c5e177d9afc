"""The orders read API."""

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from orders.domain.order import Order
from orders.ports import OrderRepository


class LineView(BaseModel):
    sku: str
    quantity: int
    unit_price_minor: int


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

    @classmethod
    def of(cls, order: Order) -> "OrderView":
        return cls(
            order_id=order.order_id,
            status=order.status.label,
            market=order.market,
            currency=order.currency,
            lines=[
                LineView(
                    sku=line.sku, quantity=line.quantity, unit_price_minor=line.unit_price_minor
                )
                for line in order.lines
            ],
            history=[StatusChangeView(status=c.status.label, at=c.at) for c in order.history],
        )


def orders_router(orders: OrderRepository) -> APIRouter:
    router = APIRouter(tags=["orders"])

    @router.get("/orders/{order_id}", responses={404: {"description": "No order with this id"}})
    async def get_order(order_id: str) -> OrderView:
        order = await orders.get(order_id)
        if order is None:
            raise HTTPException(status_code=404, detail=f"no order {order_id!r}")
        return OrderView.of(order)

    return router
