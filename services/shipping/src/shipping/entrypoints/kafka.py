"""Kafka subscribers: translate a contract event into one use case call, nothing more."""

from typing import Any

from conveyor_contracts.carriers.tracking import CarrierTrackingEvent
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.groups import GROUP_SHIPPING
from conveyor_contracts.inventory import ReservationEvent, StockReserved
from conveyor_contracts.orders import OrderAccepted, OrderCancelled, OrderLifecycleEvent
from conveyor_contracts.support import ReturnAuthorised, SupportCaseEvent
from conveyor_contracts.topics import (
    CARRIER_CODES,
    CHECKOUT_ERASURES,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SUPPORT_CASES,
    carrier_tracking_topic,
)
from conveyor_runtime.service import Infrastructure
from shipping.usecases.book_return_on_return_authorised import book_return_on_return_authorised
from shipping.usecases.cancel_shipments_on_order_cancelled import (
    cancel_shipments_on_order_cancelled,
)
from shipping.usecases.context import Shipping
from shipping.usecases.erase_personal_data_on_erasure_requested import (
    erase_personal_data_on_erasure_requested,
)
from shipping.usecases.follow_shipment_on_carrier_report import follow_shipment_on_carrier_report
from shipping.usecases.prepare_shipping_on_order_events import (
    plan_shipments_on_stock_reserved,
    record_order_on_order_accepted,
)


def register_subscribers(infra: Infrastructure, shipping: Shipping) -> None:
    async def on_order_lifecycle(event: OrderLifecycleEvent) -> None:
        if isinstance(event, OrderAccepted):
            await record_order_on_order_accepted(event, shipping)
        elif isinstance(event, OrderCancelled):
            await cancel_shipments_on_order_cancelled(event, shipping)
        # OrderRejected, OrderCancellationRefused: nothing to ship

    async def on_reservation(event: ReservationEvent) -> None:
        if isinstance(event, StockReserved):
            await plan_shipments_on_stock_reserved(event, shipping)
        # the rest is stock bookkeeping

    async def on_support_case(event: SupportCaseEvent) -> None:
        if isinstance(event, ReturnAuthorised):
            await book_return_on_return_authorised(event, shipping)
        # cases, cancellations (orders decides) and reshipments (inventory reserves): not ours

    async def on_erasure(event: PersonalDataErasureRequested) -> None:
        await erase_personal_data_on_erasure_requested(event, shipping)

    infra.consume(CHECKOUT_ERASURES, GROUP_SHIPPING, on_erasure)
    infra.consume(ORDER_LIFECYCLE, GROUP_SHIPPING, on_order_lifecycle)
    infra.consume(INVENTORY_RESERVATIONS, GROUP_SHIPPING, on_reservation)
    infra.consume(SUPPORT_CASES, GROUP_SHIPPING, on_support_case)
    for code in CARRIER_CODES:
        infra.consume(
            carrier_tracking_topic(code), GROUP_SHIPPING, _carrier_handler(code, shipping)
        )


def _carrier_handler(code: str, shipping: Shipping) -> Any:
    async def on_carrier_report(event: CarrierTrackingEvent) -> None:
        await follow_shipment_on_carrier_report(event, code, shipping)

    return on_carrier_report
