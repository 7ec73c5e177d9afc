"""The orders domain's events on the wire: the contract event, topic and key of each."""

from typing import Any

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.orders import (
    OrderAccepted,
    OrderCancellationRefused,
    OrderCancelled,
    OrderRejected,
    OrderStatusChanged,
    ParcelTracking,
    Rejection,
)
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import ORDER_LIFECYCLE, ORDER_STATUS
from conveyor_contracts.values import DeliveryWindow
from conveyor_runtime.outlet import Outlet, Wired
from orders.domain.events import (
    Accepted,
    BuyerViewChanged,
    CancellationRefused,
    Cancelled,
    OrderEvent,
    Rejected,
)
from orders.domain.promise import Window


def wired(event: OrderEvent) -> Wired:
    match event:
        case Accepted(placed=placed, promise=promise):
            return _on(
                ORDER_LIFECYCLE,
                OrderAccepted,
                placed.order_id,
                market=placed.market,
                currency=placed.currency,
                service_level=placed.service_level,
                ship_to=placed.ship_to,
                recipient=placed.recipient,
                lines=placed.lines,
                dispatch_by=promise.dispatch_by if promise else None,
                promised_delivery=_window(promise.delivery if promise else None),
            )
        case Rejected(order_id=order_id, problems=problems):
            reasons = tuple(Rejection(code=p.code, detail=p.detail) for p in problems)
            return _on(ORDER_LIFECYCLE, OrderRejected, order_id, reasons=reasons)
        case Cancelled(order_id=order_id, reason=reason, stage=stage):
            return _on(ORDER_LIFECYCLE, OrderCancelled, order_id, reason=reason, stage=stage)
        case CancellationRefused(order_id=order_id, reason=reason):
            return _on(ORDER_LIFECYCLE, OrderCancellationRefused, order_id, reason=reason)
        case BuyerViewChanged(order_id=order_id):
            parcels = tuple(
                ParcelTracking(carrier_code=p.carrier_code, tracking_number=p.tracking_number)
                for p in event.parcels
            )
            return _on(
                ORDER_STATUS,
                OrderStatusChanged,
                order_id,
                status=event.status,
                parcels=parcels,
                reason=event.reason,
                promised_delivery=_window(event.promised_delivery),
            )


def _window(window: Window | None) -> DeliveryWindow | None:
    if window is None:
        return None
    return DeliveryWindow(earliest=window.earliest, latest=window.latest)


def _on(topic: TopicSpec[Any], event_type: type[Envelope], order_id: str, **fields: Any) -> Wired:
    """An event of one order, keyed by its id."""
    return Wired(event_type, topic, order_id, {"order_id": order_id, **fields})


def order_outlet(topic_prefix: str = "") -> Outlet[OrderEvent]:
    """Where the orders service's events go: its topics, as deployed under ``topic_prefix``."""
    return Outlet("orders", wired, topic_prefix)
