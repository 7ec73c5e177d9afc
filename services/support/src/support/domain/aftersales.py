"""After-sales rules: what support keeps of an order, when a return is allowed, what is refunded.

Pure data and rules. ``Purchase`` holds personal data (the delivery address and the recipient):
it lives in support's own database only and is never logged, put in a timeline entry or shown
over HTTP; its repr leaves those fields out.
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from conveyor_contracts.address import Contact, PostalAddress
from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.privacy import holds_personal_data
from conveyor_contracts.shipping import ShipmentBooked
from conveyor_contracts.support import ReturnLine
from conveyor_contracts.values import CurrencyCode, Market, StockLine

_AFTERSALES_IDS = uuid.UUID("5b0c8e2a-91d4-4f3e-8a6b-2c7d1e9f4a03")


class NotEligibleError(ValueError):
    """The request breaks an after-sales rule; the message says which (no personal data)."""


def seller_ids(sellers: Iterable[str | None]) -> tuple[str, ...]:
    """The sellers named, sorted and each once (lines older than sellers name none)."""
    return tuple(sorted({seller for seller in sellers if seller is not None}))


@dataclass(frozen=True)
class PurchaseLine:
    sku: str
    quantity: int
    unit_price_minor: int
    seller_id: str | None = None  # absent from checkouts older than sellers


@dataclass(frozen=True)
class ParcelSellers:
    """Whose goods one outbound parcel carries, from its booking's lines."""

    shipment_id: str
    seller_ids: tuple[str, ...]

    @classmethod
    def of(cls, booked: ShipmentBooked) -> "ParcelSellers":
        return cls(booked.shipment_id, seller_ids(line.seller_id for line in booked.lines))


@dataclass(frozen=True)
class Purchase:
    """What support keeps of ``OrderPlaced`` for after-sales."""

    market: Market
    currency: CurrencyCode
    lines: tuple[PurchaseLine, ...]
    order_total_minor: int
    ship_to: PostalAddress = field(repr=False)  # personal
    recipient: Contact = field(repr=False)  # personal

    @classmethod
    def of(cls, placed: OrderPlaced) -> "Purchase":
        return cls(
            market=placed.market,
            currency=placed.currency,
            lines=tuple(
                PurchaseLine(line.sku, line.quantity, line.unit_price.amount_minor, line.seller_id)
                for line in placed.lines
            ),
            order_total_minor=placed.order_total.amount_minor,
            ship_to=placed.ship_to,
            recipient=placed.recipient,
        )

    def ordered(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for line in self.lines:
            counts[line.sku] += line.quantity
        return counts

    def unit_price(self, sku: str) -> int | None:
        return next((line.unit_price_minor for line in self.lines if line.sku == sku), None)

    def lines_total(self) -> int:
        return sum(line.unit_price_minor * line.quantity for line in self.lines)

    def seller_ids(self) -> tuple[str, ...]:
        return seller_ids(line.seller_id for line in self.lines)


@dataclass(frozen=True)
class ReturnPolicy:
    """Per market: how many days after delivery a return may be asked for, and where it goes."""

    window_days: Mapping[str, int]
    warehouses: Mapping[str, str]
    pickup_days: int = 14  # the RMA expires this many days after it was authorised


@dataclass(frozen=True)
class ReturnAuthorisation:
    rma_id: str
    lines: tuple[ReturnLine, ...]
    return_to: str
    expires_on: str  # ISO date (stored as text: BSON has no date without a time)
    authorised_at: datetime


@dataclass(frozen=True)
class Settlement:
    """How an agent settled a damaged, lost or missing case (or a return, by its refund)."""

    action: str  # "reship" or "refund"
    lines: tuple[StockLine, ...] = ()
    refund_id: str | None = None
    amount_minor: int | None = None
    currency: CurrencyCode | None = None


def rma_id_of(case_id: str) -> str:
    return "rma_" + uuid.uuid5(_AFTERSALES_IDS, f"{case_id}/rma").hex


def refund_id_of(case_id: str) -> str:
    return "rfd_" + uuid.uuid5(_AFTERSALES_IDS, f"{case_id}/refund").hex


def decision_event_id(case_id: str, name: str) -> uuid.UUID:
    """The id of an event a decision on ``case_id`` emits: the same however often it is asked."""
    return uuid.uuid5(_AFTERSALES_IDS, f"{case_id}/{name}")


def same_lines(a: Iterable[ReturnLine], b: Iterable[ReturnLine]) -> bool:
    def key(lines: Iterable[ReturnLine]) -> list[tuple[str, int, str]]:
        return sorted((line.sku, line.quantity, line.reason) for line in lines)

    return key(a) == key(b)


def check_lines(
    purchase: Purchase, wanted: Iterable[tuple[str, int]], taken: Counter[str] | None = None
) -> None:
    """Every SKU was ordered, in at least the quantity asked (minus what ``taken`` already used)."""
    asked: Counter[str] = Counter()
    for sku, quantity in wanted:
        asked[sku] += quantity
    ordered = purchase.ordered()
    for sku, quantity in sorted(asked.items()):
        if sku not in ordered:
            raise NotEligibleError(f"{sku} is not in the order")
        left = ordered[sku] - (taken or Counter())[sku]
        if quantity > left:
            raise NotEligibleError(f"only {left} of {sku} may be asked for, not {quantity}")


def check_return(
    purchase: Purchase | None,
    delivered_at: datetime | None,
    lines: Iterable[ReturnLine],
    now: datetime,
    policy: ReturnPolicy,
    *,
    already_authorised: Counter[str] | None = None,
) -> str:
    """Raise ``NotEligibleError`` unless the return may be authorised; the warehouse it goes to."""
    if purchase is None:
        raise NotEligibleError("the order's details have not reached support yet")
    if delivered_at is None:
        raise NotEligibleError("the order has not been delivered")
    if not (holds_personal_data(purchase.ship_to) and holds_personal_data(purchase.recipient)):
        raise NotEligibleError("the buyer's personal data was erased: no address to collect from")
    days = policy.window_days.get(purchase.market)
    warehouse = policy.warehouses.get(purchase.market)
    if days is None or warehouse is None:
        raise NotEligibleError(f"no return policy for market {purchase.market}")
    closes = delivered_at + timedelta(days=days)
    if now > closes:
        raise NotEligibleError(
            f"the {purchase.market} return window of {days} days closed on "
            f"{closes.date().isoformat()}"
        )
    check_lines(purchase, ((line.sku, line.quantity) for line in lines), already_authorised)
    return warehouse


def expiry(now: datetime, policy: ReturnPolicy) -> date:
    return now.date() + timedelta(days=policy.pickup_days)


def refund_for_inspection(purchase: Purchase, inspected: Iterable[tuple[str, int]]) -> int:
    """Unit price times quantity of every inspected line that was in the order, in minor units."""
    total = 0
    for sku, quantity in inspected:
        price = purchase.unit_price(sku)
        if price is not None:
            total += price * quantity
    return total
