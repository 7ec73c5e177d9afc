"""The inventory domain's events on the wire: the contract event, topic and key of each.

Reservation events are keyed by order, stock events by SKU. A stock event's id derives from its
cause and the move (warehouse, SKU, the document's move number): a move is applied once, so its
events are written once, and two moves of one cause (a receipt filling two backorders) differ.
"""

import uuid
from typing import Any

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.inbound import (
    AnnouncedLine,
    InboundDiscrepancyFound,
    InboundShipmentAnnounced,
    InboundShipmentReconciled,
    ReconciledLine,
)
from conveyor_contracts.inventory import (
    ShortLine,
    StockBackordered,
    StockCommitted,
    StockReleased,
    StockReserved,
    StockRestocked,
    StockShortage,
    WarehouseAllocation,
)
from conveyor_contracts.stock import LowStockDetected, StockLevelChanged
from conveyor_contracts.topics import INVENTORY_INBOUND, INVENTORY_RESERVATIONS, INVENTORY_STOCK
from conveyor_contracts.values import StockLine
from conveyor_runtime.outlet import Outlet, Wired
from inventory.domain.allocation import Allocation, Sellers
from inventory.domain.events import (
    Backordered,
    Committed,
    InboundAnnounced,
    InboundDiscrepancy,
    InboundEvent,
    InboundReconciled,
    InventoryEvent,
    LevelChanged,
    Lines,
    LowStock,
    Released,
    ReservationEvent,
    Reserved,
    Restocked,
    Shortage,
    ShortLines,
    StockEvent,
)


def wired(event: InventoryEvent) -> Wired:
    match event:
        case LevelChanged() | LowStock():
            return _stock(event)
        case InboundAnnounced() | InboundDiscrepancy() | InboundReconciled():
            return _inbound(event)
        case _:
            return _reservation(event)


def _reservation(event: ReservationEvent) -> Wired:
    match event:
        case Reserved(order_id=order_id):
            # One receipt can fill several orders; the order's own event reserves it once.
            name = f"{StockReserved.__name__}/{order_id}" if event.among_several else ""
            allocations = _allocations(event.allocations)
            return _on_order(
                StockReserved,
                order_id,
                name,
                reservation_id=event.reservation_id,
                allocations=allocations,
                case_id=event.case_id,
            )
        case Backordered(order_id=order_id, short_lines=short, expected_by=expected_by):
            return _on_order(
                StockBackordered, order_id, short_lines=_short(short), expected_by=expected_by
            )
        case Shortage(order_id=order_id, short_lines=short):
            return _on_order(StockShortage, order_id, short_lines=_short(short))
        case Released(order_id=order_id, reservation_id=reservation_id):
            return _on_order(
                StockReleased, order_id, reservation_id=reservation_id, reason="order_cancelled"
            )
        case Committed(order_id=order_id):
            return _on_order(
                StockCommitted,
                order_id,
                reservation_id=event.reservation_id,
                shipment_id=event.shipment_id,
                warehouse_id=event.warehouse_id,
                lines=_lines(event.lines, event.sellers),
            )
        case Restocked(order_id=order_id):
            return _on_order(
                StockRestocked,
                order_id,
                shipment_id=event.shipment_id,
                rma_id=event.rma_id,
                warehouse_id=event.warehouse_id,
                restocked=_lines(event.restocked, event.sellers),
                written_off=_lines(event.written_off, event.sellers),
            )


def _stock(event: StockEvent) -> Wired:
    match event:
        case LevelChanged():
            fields: dict[str, Any] = {
                "on_hand": event.on_hand,
                "reserved": event.reserved,
                "available": event.available,
                "cause": event.cause,
                "seller_id": event.seller_id,
            }
            event_type: type[Envelope] = StockLevelChanged
        case LowStock():
            fields = {"available": event.available, "threshold": event.threshold}
            event_type = LowStockDetected
    name = f"{event_type.__name__}/{event.warehouse_id}/{event.sku}/{event.sequence}"
    fields.update(sku=event.sku, warehouse_id=event.warehouse_id)
    return Wired(event_type, INVENTORY_STOCK, event.sku, fields, name=name)


# Every event of an ASN is told once per ASN (and kind and SKU): its id derives from the ASN and
# that name, whichever cause (the seller's request, a receipt, the timer) made it.
_INBOUND_IDS = uuid.UUID("6f1d0c57-3a52-4d0e-9a3b-2f6c1e0a7b41")


def _inbound(event: InboundEvent) -> Wired:
    match event:
        case InboundAnnounced():
            fields: dict[str, Any] = {
                "expected_arrival": event.expected_arrival,
                "lines": tuple(AnnouncedLine(sku=sku, units=n) for sku, n in event.lines),
            }
            event_type: type[Envelope] = InboundShipmentAnnounced
            name = event_type.__name__
        case InboundDiscrepancy():
            fields = {
                "kind": event.kind,
                "sku": event.sku,
                "expected": event.expected,
                "received": event.received,
            }
            event_type = InboundDiscrepancyFound
            name = f"{event_type.__name__}/{event.kind}/{event.sku or ''}"
        case InboundReconciled():
            fields = {
                "outcome": event.outcome,
                "lines": tuple(
                    ReconciledLine(sku=sku, expected=expected, received=received)
                    for sku, expected, received in event.lines
                ),
            }
            event_type = InboundShipmentReconciled
            name = event_type.__name__
    fields.update(asn_id=event.asn_id, seller_id=event.seller_id, warehouse_id=event.warehouse_id)
    event_id = uuid.uuid5(_INBOUND_IDS, f"{event.asn_id}/{name}")
    return Wired(event_type, INVENTORY_INBOUND, event.asn_id, fields, event_id=event_id)


def _on_order(event_type: type[Envelope], order_id: str, name: str = "", **fields: Any) -> Wired:
    """An event of one order's reservation, keyed by the order id."""
    fields = {"order_id": order_id, **fields}
    return Wired(event_type, INVENTORY_RESERVATIONS, order_id, fields, name=name)


def _allocations(allocations: tuple[Allocation, ...]) -> tuple[WarehouseAllocation, ...]:
    return tuple(
        WarehouseAllocation(warehouse_id=a.warehouse_id, lines=_lines(a.lines, a.sellers))
        for a in allocations
    )


def _lines(lines: Lines, sellers: Sellers) -> tuple[StockLine, ...]:
    seller_of = dict(sellers)
    return tuple(
        StockLine(sku=sku, quantity=units, seller_id=seller_of.get(sku)) for sku, units in lines
    )


def _short(short_lines: ShortLines) -> tuple[ShortLine, ...]:
    return tuple(
        ShortLine(sku=sku, requested=requested, available=has)
        for sku, requested, has in short_lines
    )


def inventory_outlet(topic_prefix: str = "") -> Outlet[InventoryEvent]:
    """Where the inventory service's events go: its topics, as deployed under ``topic_prefix``."""
    return Outlet("inventory", wired, topic_prefix)
