"""Returns and reshipments on in-memory adapters: an inventory on the backorder policy, an order
reserved and dispatched from WH-US-NJ1, and the reservation events it leaves behind."""

import uuid
from datetime import UTC, datetime
from typing import Any

from inventory_testkit import event

from conveyor_contracts.inventory import RESERVATION_EVENTS
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.shipping.tracking import ShipmentDispatched
from inventory.adapters.memory_reservations import MemoryReservations
from inventory.adapters.memory_stock import MemoryStock
from inventory.domain.reservation import reservation_id_for
from inventory.domain.warehouses import DEFAULT_WAREHOUSES
from inventory.usecases.commit_stock_on_shipment_dispatched import (
    commit_stock_on_shipment_dispatched,
)
from inventory.usecases.context import Inventory, Policy
from inventory.usecases.reserve_stock_on_order_accepted import reserve_stock_on_order_accepted

SKU, CAP = "TEE-BLK-M", "CAP-RED-L"
START = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)


def world(policy: Policy | None = None) -> Inventory:
    return Inventory(
        MemoryStock(),
        MemoryReservations(),
        policy or Policy(DEFAULT_WAREHOUSES, unfillable="backorder"),
        lambda: START,
    )


def stores(inventory: Inventory) -> tuple[MemoryStock, MemoryReservations]:
    assert isinstance(inventory.stock, MemoryStock)
    assert isinstance(inventory.reservations, MemoryReservations)
    return inventory.stock, inventory.reservations


async def receive(inventory: Inventory, warehouse_id: str, sku: str, units: int) -> None:
    await inventory.stock.receive(warehouse_id, sku, units, f"rcpt-{uuid.uuid4().hex}")


def accepted(order_id: str, market: str = "US", **quantities: int) -> OrderAccepted:
    currency = {"US": "USD", "CA": "CAD", "GB": "GBP"}[market]
    lines = [
        {"sku": sku, "quantity": q, "unit_price": {"amount_minor": 999, "currency": currency}}
        for sku, q in (quantities or {SKU: 1}).items()
    ]
    if market == "US":
        return event(OrderAccepted, order_id, lines=lines)
    assert market == "CA"
    toronto = {
        "address_lines": ["1 Yonge Street"],
        "city": "Toronto",
        "country": "CA",
        "postal_code": "M5E 1W7",
        "region": "ON",
    }
    return event(
        OrderAccepted, order_id, lines=lines, market=market, currency=currency, ship_to=toronto
    )


def reservation_events(reservations: MemoryReservations, key: str) -> list[Any]:
    return [RESERVATION_EVENTS.validate_json(m.payload) for m in reservations.outboxes.get(key, [])]


def types(reservations: MemoryReservations, key: str) -> list[str]:
    return [e.event_type for e in reservation_events(reservations, key)]


async def shipped_order(inventory: Inventory, order_id: str, **quantities: int) -> None:
    """An order reserved in WH-US-NJ1 and picked up by the carrier."""
    for sku, q in (quantities or {SKU: 1}).items():
        await receive(inventory, "WH-US-NJ1", sku, q)
    await reserve_stock_on_order_accepted(accepted(order_id, **quantities), inventory)
    dispatched = event(
        ShipmentDispatched,
        order_id,
        reservation_id=reservation_id_for(order_id),
        warehouse_id="WH-US-NJ1",
        lines=[{"sku": sku, "quantity": q} for sku, q in (quantities or {SKU: 1}).items()],
    )
    await commit_stock_on_shipment_dispatched(dispatched, inventory)
