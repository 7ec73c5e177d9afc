"""Kafka subscribers: every order-keyed topic support reads feeds the order's timeline; the
events that need a person also open a case, as does a seller's inbound shipment that did not
arrive as announced; orders and deliveries are kept for after-sales, an
inspected return is refunded and a buyer's erasure request erases their data. Thin: one use case
call each."""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from conveyor_contracts.envelope import OrderEnvelope
from conveyor_contracts.groups import GROUP_SUPPORT
from conveyor_contracts.inbound import InboundEnvelope
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    CHECKOUT_ERASURES,
    CHECKOUT_ORDERS,
    INVENTORY_INBOUND,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
    WAREHOUSE_RETURNS,
)
from conveyor_runtime.message_handler import handled_record
from conveyor_runtime.service import Infrastructure
from support.usecases.context import Support
from support.usecases.forget_personal_data import forget_personal_data_on_erasure_request
from support.usecases.keep_aftersales_facts import keep_aftersales_facts
from support.usecases.open_case_on_exception import open_case_on_exception
from support.usecases.open_case_on_inbound_discrepancy import open_case_on_inbound_discrepancy
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event
from support.usecases.refund_on_inspection import refund_on_inspection

# Every order-keyed topic of the mesh support builds timelines from.
TIMELINE_TOPICS: tuple[TopicSpec[Any], ...] = (
    CHECKOUT_ORDERS,
    CHECKOUT_ERASURES,  # on the timeline too, so a rebuild also forgets the buyer
    ORDER_LIFECYCLE,
    INVENTORY_RESERVATIONS,
    SHIPPING_SHIPMENTS,
    WAREHOUSE_RETURNS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
)
# Everything support reads: the timelines' topics and the sellers' inbound shipments.
CONSUMED_TOPICS: tuple[TopicSpec[Any], ...] = (*TIMELINE_TOPICS, INVENTORY_INBOUND)


def trace_id_of(headers: Iterable[tuple[str, bytes]]) -> str | None:
    """The trace id of a W3C ``traceparent`` header, if the message carries a valid one."""
    for name, value in headers:
        if name.lower() != "traceparent":
            continue
        parts = value.decode("ascii", "replace").strip().split("-")
        if len(parts) >= 4 and len(parts[1]) == 32 and parts[1] != "0" * 32:
            try:
                int(parts[1], 16)
            except ValueError:
                return None
            return parts[1].lower()
    return None


def register_subscribers(infra: Infrastructure, support: Support) -> None:
    def current_trace_id() -> str | None:
        # The trace the message's own headers carry, as a rebuild from the topics reads it.
        record = handled_record()
        return trace_id_of(record.headers if record is not None else ())

    for spec in TIMELINE_TOPICS:
        infra.consume(spec, GROUP_SUPPORT, _handler(spec.name, support, current_trace_id))

    async def on_inbound(event: InboundEnvelope) -> None:
        await open_case_on_inbound_discrepancy(event, support)

    infra.consume(INVENTORY_INBOUND, GROUP_SUPPORT, on_inbound)


def _handler(
    topic: str, support: Support, trace_id: Callable[[], str | None]
) -> Callable[[OrderEnvelope], Awaitable[None]]:
    async def on_event(event: OrderEnvelope) -> None:
        await record_timeline_on_order_event(event, topic, trace_id(), support.timelines)
        await keep_aftersales_facts(event, support)
        await open_case_on_exception(event, support)
        await refund_on_inspection(event, support)
        await forget_personal_data_on_erasure_request(event, support)

    return on_event
