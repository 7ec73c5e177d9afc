"""Kafka subscribers: translate a contract event into one use case call, nothing more."""

from conveyor_contracts.checkout import CheckoutEvent, OrderPlaced
from conveyor_contracts.erasure import PersonalDataErased
from conveyor_contracts.groups import GROUP_ORDERS
from conveyor_contracts.inventory import ReservationEvent
from conveyor_contracts.shipping import ShipmentDelayed, ShipmentEvent
from conveyor_contracts.support import CaseCancellationRequested, RefundEvent, SupportCaseEvent
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
)
from conveyor_runtime.service import Infrastructure
from orders.domain.promise import PromisePolicy
from orders.ports import OrderRepository
from orders.usecases.accept_order_on_order_placed import accept_order_on_order_placed
from orders.usecases.cancel_order_on_cancellation_requested import (
    cancel_order_on_cancellation_requested,
)
from orders.usecases.delay_order_on_shipment_delayed import delay_order_on_shipment_delayed
from orders.usecases.progress_order_on_after_sales import progress_order_on_after_sales
from orders.usecases.progress_order_on_reservation import progress_order_on_reservation
from orders.usecases.progress_order_on_shipment import progress_order_on_shipment


def register_subscribers(
    infra: Infrastructure, orders: OrderRepository, promises: PromisePolicy
) -> None:
    async def on_checkout_event(event: CheckoutEvent) -> None:
        if isinstance(event, OrderPlaced):
            await accept_order_on_order_placed(event, orders, promises)
        else:
            await cancel_order_on_cancellation_requested(event, orders)

    async def on_reservation_event(event: ReservationEvent) -> None:
        await progress_order_on_reservation(event, orders)

    async def on_shipment_event(event: ShipmentEvent) -> None:
        if isinstance(event, PersonalDataErased):
            return  # shipping's confirmation to the shop: nothing changes for the order
        if isinstance(event, ShipmentDelayed):
            await delay_order_on_shipment_delayed(event, orders)
        else:
            await progress_order_on_shipment(event, orders)

    async def on_support_case(event: SupportCaseEvent) -> None:
        if isinstance(event, CaseCancellationRequested):
            await cancel_order_on_cancellation_requested(event, orders)
        elif isinstance(event, PersonalDataErased):
            return  # support's confirmation to the shop: nothing changes for the order
        else:
            await progress_order_on_after_sales(event, orders)

    async def on_refund(event: RefundEvent) -> None:
        await progress_order_on_after_sales(event, orders)

    infra.consume(CHECKOUT_ORDERS, GROUP_ORDERS, on_checkout_event)
    infra.consume(SUPPORT_CASES, GROUP_ORDERS, on_support_case)
    infra.consume(SUPPORT_REFUNDS, GROUP_ORDERS, on_refund)
    infra.consume(INVENTORY_RESERVATIONS, GROUP_ORDERS, on_reservation_event)
    infra.consume(SHIPPING_SHIPMENTS, GROUP_ORDERS, on_shipment_event)
