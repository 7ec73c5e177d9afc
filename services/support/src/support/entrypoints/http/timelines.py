"""An order's timeline and the where-is-my-order answer read off it."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from support.domain.timeline import Entry, Fact
from support.domain.whereabouts import Parcel, where_is
from support.entrypoints.http.dependencies import (
    NO_SUCH_ORDER_OR_CASE,
    Reader,
    principal_of,
    readable,
)
from support.usecases.context import Support


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


def timeline_routes(support: Support) -> APIRouter:
    router = APIRouter()

    @router.get("/orders/{order_id}/timeline", responses=NO_SUCH_ORDER_OR_CASE)
    async def get_timeline(order_id: str, caller: Reader) -> TimelineView:
        timeline = await readable(support, order_id, principal_of(caller))
        return TimelineView(
            order_id=order_id, entries=[EntryView.of(entry) for entry in timeline.entries]
        )

    @router.get("/orders/{order_id}/where", responses=NO_SUCH_ORDER_OR_CASE)
    async def where_is_my_order(order_id: str, caller: Reader) -> WhereView:
        whereabouts = where_is(await readable(support, order_id, principal_of(caller)))
        return WhereView(
            order_id=whereabouts.order_id,
            status=whereabouts.status,
            carrier_code=whereabouts.carrier_code,
            tracking_number=whereabouts.tracking_number,
            deliver_by=whereabouts.deliver_by,
            parcels=[ParcelView.of(parcel) for parcel in whereabouts.parcels],
            last_update=whereabouts.last_update,
        )

    return router
