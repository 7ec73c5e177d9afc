"""Sellers' inbound shipments: a pure, seeded planner of the advance shipping notices (ASNs) each
seller announces and of the warehouse's receipts against them.

Per seller, one ASN per warehouse for that seller's SKUs, expected on the warehouse's local day
of ``now`` (an announcement cannot be for a past day). A few ASNs, chosen from the seed, differ
from what arrives: a SKU short, a SKU over, a SKU the seller did not announce (one of its own),
and one received after its expected arrival (the receipts' ``occurred_at`` on the next local
day). The ASN id is the inventory's to give: the receipts are made once it answered the
announcement, from the id it answered. An unexpected SKU is to be received first (``first``).
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from conveyor_contracts.business_days import MARKET_TIME_ZONES
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_simulators.catalogue import CATALOGUE, SELLERS
from conveyor_simulators.checkout import seeded_uuid

Kind = Literal["short", "over", "unexpected_sku", "late"]
KINDS: tuple[Kind, ...] = ("short", "over", "unexpected_sku", "late")
Lines = tuple[tuple[str, int], ...]  # (sku, units), one per SKU


@dataclass(frozen=True)
class PlannedAsn:
    """One announcement and what the warehouse will receive against it."""

    number: int  # the ASN's place in the plan: receipt references derive from it
    seller_id: str
    reference: str  # the seller's own reference of the shipment
    warehouse_id: str
    expected_arrival: date  # the warehouse's local date
    lines: Lines  # announced
    received: Lines  # received, per SKU (an unexpected SKU last)
    received_at: datetime
    discrepancies: tuple[tuple[Kind, str | None], ...]  # (kind, sku) planned; sku None: late

    @property
    def first(self) -> tuple[str, ...]:
        """SKUs to receive before the others: an unexpected SKU received after every announced
        unit would find the reconciliation ended (stock only), and receipts of different SKUs
        keep no order between them on the topic."""
        announced = dict(self.lines)
        return tuple(sku for sku, _ in self.received if sku not in announced)

    def body(self) -> dict[str, Any]:
        """The announcement, as the seller posts it."""
        return {
            "reference": self.reference,
            "warehouse_id": self.warehouse_id,
            "expected_arrival": self.expected_arrival.isoformat(),
            "lines": [{"sku": sku, "units": units} for sku, units in self.lines],
        }


def market_of(warehouse_id: str) -> str:
    return warehouse_id.split("-")[1]  # WH-<country>-<code>


def plan_inbound(seed: int, warehouses: tuple[str, ...], now: datetime) -> list[PlannedAsn]:
    """Every seller's ASNs, one per warehouse, with each discrepancy kind on one of them."""
    slots = [(seller, warehouse) for seller in SELLERS for warehouse in warehouses]
    rng = random.Random(f"{seed}:inbound")
    chosen = rng.sample(range(len(slots)), min(len(KINDS), len(slots)))
    kind_of = dict(zip(chosen, KINDS, strict=False))
    return [
        _asn(seed, number, seller, warehouse, now, kind_of.get(number))
        for number, (seller, warehouse) in enumerate(slots)
    ]


def _asn(
    seed: int, number: int, seller: str, warehouse: str, now: datetime, kind: Kind | None
) -> PlannedAsn:
    rng = random.Random(f"{seed}:inbound:{number}")
    skus = [product.sku for product in CATALOGUE if product.seller_id == seller]
    lines = [(sku, rng.randint(2, 6) * 6) for sku in skus]
    received = list(lines)
    zone = MARKET_TIME_ZONES[market_of(warehouse)]
    arrival = now.astimezone(zone).date()
    received_at = now
    planned: tuple[tuple[Kind, str | None], ...] = ()
    if kind == "late":
        # Received in the morning of the local day after the expected one.
        received_at = datetime.combine(arrival + timedelta(days=1), time(9), zone).astimezone(UTC)
        planned = (("late", None),)
    elif kind is not None:
        index = rng.randrange(len(lines))
        sku, units = lines[index]
        planned = ((kind, sku),)
        if kind == "short":
            received[index] = (sku, units - rng.randint(1, units // 3))
        elif kind == "over":
            received[index] = (sku, units + rng.randint(1, 6))
        else:  # unexpected_sku: sent, but left out of the announcement
            del lines[index]
            received.append(received.pop(index))
    return PlannedAsn(
        number,
        seller,
        f"PO-{seed}-{warehouse}",
        warehouse,
        arrival,
        tuple(lines),
        tuple(received),
        received_at,
        planned,
    )


def inbound_receipts(seed: int, asn: PlannedAsn, asn_id: str) -> list[GoodsReceived]:
    """The warehouse's receipts against an ASN, naming the id the inventory answered for it."""
    return [
        GoodsReceived(
            event_id=seeded_uuid(seed, "inbound-receipt", asn.reference, sku),
            occurred_at=asn.received_at,
            correlation_id=asn_id,
            producer="warehouse",
            sku=sku,
            warehouse_id=asn.warehouse_id,
            quantity=units,
            receipt_ref=f"GRN-{seed}-IN{asn.number:02d}-{number:02d}",
            seller_id=asn.seller_id,
            asn_id=asn_id,
        )
        for number, (sku, units) in enumerate(asn.received)
    ]
