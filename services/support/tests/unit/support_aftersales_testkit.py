"""After-sales fixtures on in-memory adapters: an order placed (and delivered) in a market,
with a case of a given kind, for the return, refund and settlement tests to act on."""

from datetime import datetime, timedelta
from typing import Any

from support_testkit import World, event

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.shipping import ShipmentDelivered
from conveyor_contracts.support import ReturnLine
from support.domain.access import Principal
from support.domain.cases import CaseKind
from support.usecases.keep_aftersales_facts import keep_aftersales_facts
from support.usecases.open_case_on_request import open_case_on_request
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

AGENT = Principal("agent", "agt_1")
BUYER = Principal("buyer", "byr_7KQ2M9")
CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP"}
WAREHOUSE = {"US": "WH-US-NJ1", "CA": "WH-CA-ON1", "GB": "WH-GB-MAN1"}


def placed(market: str = "US") -> OrderPlaced:
    currency = CURRENCY[market]

    def money(minor: int) -> dict[str, Any]:
        return {"amount_minor": minor, "currency": currency}

    return event(
        OrderPlaced,
        market=market,
        currency=currency,
        lines=[
            {"sku": "TEE-BLK-M", "quantity": 2, "unit_price": money(1999)},
            {"sku": "MUG-WHT-01", "quantity": 1, "unit_price": money(1250)},
        ],
        shipping_fee=money(499),
        order_total=money(2 * 1999 + 1250 + 499),
    )


def delivered(at: datetime, direction: str = "outbound") -> ShipmentDelivered:
    return event(ShipmentDelivered, direction=direction, scanned_at=at.isoformat())


def tee(quantity: int = 1, reason: str = "changed_mind") -> ReturnLine:
    return ReturnLine(sku="TEE-BLK-M", quantity=quantity, reason=reason)  # type: ignore[arg-type]


async def ordered(
    w: World, market: str = "US", kind: CaseKind = "return_request", *, days_ago: float | None = 3
) -> str:
    """Order placed (and delivered ``days_ago``), with a case of ``kind``; its case id."""
    order = placed(market)
    timeline = await record_timeline_on_order_event(order, "t", None, w.timelines)
    await keep_aftersales_facts(order, w.support)
    if days_ago is not None:
        await keep_aftersales_facts(delivered(w.clock.now - timedelta(days=days_ago)), w.support)
    case = await open_case_on_request(timeline, kind, BUYER, w.support)  # type: ignore[arg-type]
    return case.case_id
