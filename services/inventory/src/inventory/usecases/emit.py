"""Building the events one reaction emits, with ids derived from the cause so retries match."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from conveyor_contracts.envelope import Envelope, OrderEnvelope
from conveyor_contracts.stock import LowStockDetected, StockLevelChanged
from conveyor_runtime.outbox import OutboxMessage, derived_event_id, outbox_message
from inventory.domain.stock import StockMove
from inventory.ports import StockEmit, Topics

StockCause = Literal["goods_received", "counted", "reserved", "released", "committed", "restocked"]


def reservation_id_for(order_id: str) -> str:
    # Derived, not random: a redelivered OrderAccepted must find the same holds on stock documents.
    return "rsv_" + hashlib.sha256(order_id.encode()).hexdigest()[:32]


def reservation_id_for_case(case_id: str) -> str:
    # A reshipment's reservation, derived from its case: a redelivered ReshipmentApproved finds it.
    return "rsv_" + hashlib.sha256(f"case/{case_id}".encode()).hexdigest()[:32]


def order_event(
    event_type: type[OrderEnvelope],
    *,
    topics: Topics,
    cause_id: uuid.UUID,
    name: str,
    order_id: str,
    correlation_id: str,
    now: datetime,
    **fields: Any,
) -> OutboxMessage:
    """An event on the reservations topic caused by ``cause_id``; ``name`` tells apart the events
    one cause emits (a receipt can fill several orders)."""
    event = event_type(
        event_id=derived_event_id(cause_id, name),
        occurred_at=now,
        correlation_id=correlation_id,
        causation_id=cause_id,
        producer="inventory",
        order_id=order_id,
        **fields,
    )
    return outbox_message(event, topic=topics.reservations, key=order_id)


@dataclass(frozen=True)
class Reaction:
    cause: OrderEnvelope
    topics: Topics
    now: datetime

    def reservation_event(self, event_type: type[OrderEnvelope], **fields: Any) -> OutboxMessage:
        return order_event(
            event_type,
            topics=self.topics,
            cause_id=self.cause.event_id,
            name=event_type.__name__,
            order_id=self.cause.order_id,
            correlation_id=self.cause.correlation_id,
            now=self.now,
            **fields,
        )


def stock_events(
    cause: Envelope, kind: StockCause, topics: Topics, low_stock_threshold: int, now: datetime
) -> StockEmit:
    """The events of one stock move caused by ``cause``: the new absolute level always, and a
    low-stock alert when available falls to or below the threshold from above it.

    Ids derive from the cause and the document's move number: a move is applied once, so its
    events are written once, and two moves of one cause (a receipt filling two backorders) differ.
    """

    def emit(move: StockMove) -> list[OutboxMessage]:
        def event_id(name: str) -> uuid.UUID:
            return derived_event_id(
                cause.event_id, f"{name}/{move.warehouse_id}/{move.sku}/{move.sequence}"
            )

        common: dict[str, Any] = {
            "occurred_at": now,
            "correlation_id": cause.correlation_id,
            "causation_id": cause.event_id,
            "producer": "inventory",
            "sku": move.sku,
            "warehouse_id": move.warehouse_id,
        }
        after = move.after
        events: list[Envelope] = [
            StockLevelChanged(
                event_id=event_id("StockLevelChanged"),
                on_hand=after.on_hand,
                reserved=after.reserved,
                available=after.available,
                cause=kind,
                **common,
            )
        ]
        if after.available <= low_stock_threshold < move.before.available:
            events.append(
                LowStockDetected(
                    event_id=event_id("LowStockDetected"),
                    available=after.available,
                    threshold=low_stock_threshold,
                    **common,
                )
            )
        return [outbox_message(e, topic=topics.stock, key=move.sku) for e in events]

    return emit
