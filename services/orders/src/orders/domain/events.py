"""What happens to an order, as the orders domain says it: plain facts, no topic, no envelope.

``adapters/wire.py`` tells which contract event each becomes; the runtime's ``Outlet`` adds the
envelope (ids derived from the cause, correlation, producer) and the topic.
"""

from dataclasses import dataclass, replace
from uuid import UUID

from conveyor_contracts.checkout import OrderPlaced
from orders.domain.order import Order, public_status, status_note
from orders.domain.promise import Promise, Window
from orders.domain.validation import Problem

APPLIED_MEMORY = 500  # event ids remembered per order: far more than one order ever receives


@dataclass(frozen=True)
class Accepted:
    """The order can be fulfilled: what inventory and shipping need of it, as placed."""

    placed: OrderPlaced
    promise: Promise | None = None


@dataclass(frozen=True)
class Rejected:
    order_id: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Cancelled:
    order_id: str
    reason: str
    stage: str = "before_pickup"


@dataclass(frozen=True)
class CancellationRefused:
    order_id: str
    reason: str


@dataclass(frozen=True)
class Tracking:
    carrier_code: str
    tracking_number: str


@dataclass(frozen=True)
class BuyerViewChanged:
    """What the buyer sees of the order changed: its public status, parcels or note."""

    order_id: str
    status: str
    parcels: tuple[Tracking, ...]
    reason: str | None
    promised_delivery: Window | None = None  # the order's promise, repeated on every change


OrderEvent = Accepted | Rejected | Cancelled | CancellationRefused | BuyerViewChanged


def buyer_view_changes(
    before: Order | None, after: Order, reason: str | None = None
) -> list[OrderEvent]:
    """``BuyerViewChanged`` when what the buyer sees (status, parcel tracking, the note on the
    status) differs from before; ``reason`` when the change has one of its own."""
    view = _buyer_view(after)
    if before is not None and _buyer_view(before) == view:
        return []
    status, parcels, note = view
    return [
        BuyerViewChanged(after.order_id, status, parcels, reason or note, after.promised_delivery)
    ]


def _buyer_view(order: Order) -> tuple[str, tuple[Tracking, ...], str | None]:
    parcels = tuple(
        Tracking(parcel.carrier_code, parcel.tracking_number)
        for parcel in order.parcels
        if parcel.carrier_code and parcel.tracking_number
    )
    return public_status(order), parcels, status_note(order)


def already_applied(order: Order, cause: UUID) -> bool:
    return str(cause) in order.applied


def remembered(order: Order, cause: UUID) -> Order:
    """``order`` noting that the cause is applied, so its redelivery changes nothing."""
    return replace(order, applied=(*order.applied, str(cause))[-APPLIED_MEMORY:])
