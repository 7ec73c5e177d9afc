"""Builders for the inbound shipment component tests: a seller's announcement over HTTP and the
warehouse's receipts naming its ASN. (A module of its own, uniquely named, as
``inventory_component``.)"""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from inventory_component import SELLER, SKU, WAREHOUSE

from conveyor_contracts.business_days import BusinessCalendar
from conveyor_contracts.warehouse import GoodsReceived
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import from_example

CALENDAR = BusinessCalendar()


def in_days(days: int) -> date:
    """A day ``days`` after today in New York (the examples' warehouse is in the US)."""
    return CALENDAR.local_date("US", datetime.now(UTC)) + timedelta(days=days)


def body(*lines: tuple[str, int], arrival: date | None = None, **fields: Any) -> dict[str, Any]:
    """An announcement of ``lines`` (the examples' SKU, 10 units, by default) to the examples'
    warehouse, arriving in five days, under a reference of its own."""
    return {
        "reference": f"PO-{uuid.uuid4().hex[:8].upper()}",
        "warehouse_id": WAREHOUSE,
        "expected_arrival": (arrival or in_days(5)).isoformat(),
        "lines": [{"sku": sku, "units": units} for sku, units in lines or ((SKU, 10),)],
    } | fields


async def announce(
    api: httpx.AsyncClient, issuer: Issuer, announcement: dict[str, Any], seller: str = SELLER
) -> httpx.Response:
    return await api.post(
        f"/sellers/{seller}/inbound-shipments",
        json=announcement,
        headers=issuer.bearer("seller", seller),
    )


def received(
    asn_id: str, units: int, *, sku: str = SKU, at: datetime | None = None
) -> GoodsReceived:
    """The warehouse received ``units`` of ``sku`` against ``asn_id`` (now, unless ``at``)."""
    reference = f"GRN-{uuid.uuid4().hex[:10].upper()}"
    fields: dict[str, Any] = {"occurred_at": at.isoformat()} if at else {}
    return from_example(
        GoodsReceived,
        sku=sku,
        warehouse_id=WAREHOUSE,
        quantity=units,
        receipt_ref=reference,
        asn_id=asn_id,
        **fields,
    )
