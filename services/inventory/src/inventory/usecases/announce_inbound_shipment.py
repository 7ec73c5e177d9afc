"""A seller announces an inbound shipment (ASN): checked, stored with its announcement, once.

The ASN id derives from the seller and the seller's own reference, so a retried request finds
the ASN it made and announces nothing again (the same announcement answers as stored; another
one under that reference is refused). Nothing here touches stock: announced units are no stock.
"""

from dataclasses import dataclass
from datetime import date

from conveyor_runtime.outlet import Cause
from inventory.domain.events import Lines
from inventory.domain.inbound import (
    Asn,
    Invalid,
    announce,
    announcement_problems,
    asn_id_for,
    grace_ends,
)
from inventory.domain.warehouses import Warehouse
from inventory.usecases.context import Inventory


@dataclass(frozen=True)
class Announcement:
    seller_id: str
    warehouse_id: str
    expected_arrival: date
    lines: Lines  # (sku, units), in the seller's order
    reference: str


@dataclass(frozen=True)
class Announced:
    asn: Asn
    created: bool  # False: a repeat of an announcement already stored


class InvalidAnnouncementError(ValueError):
    """The announcement breaks a rule: nothing stored, nothing announced."""

    def __init__(self, problems: list[Invalid]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


class ReferenceTakenError(ValueError):
    """The seller's reference already names another announcement."""


async def announce_inbound_shipment(request: Announcement, inventory: Inventory) -> Announced:
    inbound = inventory.inbound
    if inbound is None:
        raise RuntimeError("inventory was built without inbound shipments")
    asn_id = asn_id_for(request.seller_id, request.reference)
    stored = await inbound.get(asn_id)
    if stored is not None:
        return _repeated(stored, request)
    warehouse = _warehouse(inventory, request.warehouse_id)
    await _check(request, warehouse, inventory)
    assert warehouse is not None  # checked
    now = inventory.clock()
    calendar, grace = inventory.policy.calendar, inventory.policy.inbound_grace_business_days
    closes_at = grace_ends(calendar, warehouse.market, request.expected_arrival, grace)
    asn, events = announce(
        asn_id,
        request.seller_id,
        warehouse,
        request.expected_arrival,
        request.lines,
        request.reference,
        now=now,
        closes_at=closes_at,
    )
    # No message caused it: its events carry ids of their own, in the ASN's correlation.
    if await inbound.add(asn, events, Cause(None, now, asn.correlation_id)):
        return Announced(asn, created=True)
    stored = await inbound.get(asn_id)  # a concurrent retry stored it first
    assert stored is not None
    return _repeated(stored, request)


def _warehouse(inventory: Inventory, warehouse_id: str) -> Warehouse | None:
    return next((w for w in inventory.policy.warehouses if w.warehouse_id == warehouse_id), None)


async def _check(request: Announcement, warehouse: Warehouse | None, inventory: Inventory) -> None:
    network = [w.warehouse_id for w in inventory.policy.warehouses]
    shelves = await inventory.stock.shelves_in(network, [sku for sku, _ in request.lines])
    sellers_of: dict[str, set[str]] = {}
    for (_, sku), shelf in shelves.items():
        if shelf.seller_id is not None:
            sellers_of.setdefault(sku, set()).add(shelf.seller_id)
    calendar = inventory.policy.calendar
    today = None if warehouse is None else calendar.local_date(warehouse.market, inventory.clock())
    problems = announcement_problems(
        warehouse,
        request.expected_arrival,
        request.lines,
        seller_id=request.seller_id,
        today=today,
        sellers_of=sellers_of,
    )
    if problems:
        raise InvalidAnnouncementError(problems)


def _repeated(stored: Asn, request: Announcement) -> Announced:
    if not stored.same_announcement(request.warehouse_id, request.expected_arrival, request.lines):
        raise ReferenceTakenError(f"reference {request.reference} names another inbound shipment")
    return Announced(stored, created=False)
