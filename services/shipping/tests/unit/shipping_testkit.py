"""The shipping use cases on in-memory adapters, with a clock the test moves."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from conveyor_contracts.carriers.requests import CARRIER_REQUESTS
from conveyor_contracts.carriers.tracking import ShipmentAccepted, TrackingScanRecorded
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping import SHIPMENT_EVENTS
from conveyor_testkit import from_example
from shipping.adapters.memory import MemoryCarrierCapacity, MemoryFulfilments
from shipping.settings import ShippingSettings
from shipping.usecases.context import Policy, Shipping

NEW_YORK = {
    "address_lines": ["350 Fifth Avenue"],
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
    "country": "US",
}


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 14, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    shipping: Shipping
    fulfilments: MemoryFulfilments
    clock: Clock

    def published(self) -> list[tuple[str, Any]]:
        """(topic, message) for everything emitted so far, decoded by its contract."""
        out = []
        for message in self.fulfilments.published:
            adapter = CARRIER_REQUESTS if message.topic.startswith("carrier.") else SHIPMENT_EVENTS
            out.append((message.topic, adapter.validate_json(message.payload)))
        return out

    def types(self, topic_part: str = "") -> list[str]:
        return [m.event_type for topic, m in self.published() if topic_part in topic]


def world(**settings: Any) -> World:
    clock = Clock()
    fulfilments = MemoryFulfilments()
    shipping = Shipping(
        fulfilments=fulfilments,
        capacity=MemoryCarrierCapacity(),
        policy=Policy.of(ShippingSettings(**settings)),
        clock=clock,
    )
    return World(shipping, fulfilments, clock)


def accepted(order_id: str, clock: Clock, **fields: Any) -> OrderAccepted:
    return from_example(
        OrderAccepted,
        order_id=order_id,
        correlation_id=order_id,
        occurred_at=clock.now.isoformat(),
        **({"ship_to": NEW_YORK} | fields),
    )


def reserved(order_id: str, *warehouses: str) -> StockReserved:
    allocations = [
        {"warehouse_id": w, "lines": [{"sku": f"SKU-{n}", "quantity": 1 + n}]}
        for n, w in enumerate(warehouses or ("WH-US-NJ1",))
    ]
    return from_example(
        StockReserved,
        order_id=order_id,
        correlation_id=order_id,
        reservation_id=f"rsv_{uuid.uuid4().hex[:12]}",
        allocations=allocations,
    )


def carrier_accepts(order_id: str, shipment_id: str) -> ShipmentAccepted:
    return from_example(
        ShipmentAccepted, order_id=order_id, correlation_id=order_id, shipment_id=shipment_id
    )


def scan(
    order_id: str, shipment_id: str, status: str, at: datetime, **fields: Any
) -> TrackingScanRecorded:
    """A carrier's scan; every call is a new message (a fresh event id), as a carrier's re-send."""
    return from_example(
        TrackingScanRecorded,
        order_id=order_id,
        correlation_id=order_id,
        shipment_id=shipment_id,
        status=status,
        scanned_at=at.isoformat(),
        remark=None,
        **fields,
    )
