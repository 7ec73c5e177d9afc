"""What support decides about an order, as its domain says it: plain facts, no topic, no envelope.

``adapters/wire.py`` tells which contract event each becomes; the runtime's ``Outlet`` adds the
envelope (the order's correlation, the producer) and the topic. A decision on a case is the
domain's own: its ``decision_id`` is the same however often it is asked (``decision_event_id``),
or, for a person's action that no event caused, drawn once for it; ``follows`` names the
decision of the same change that caused this one (the refund a case is resolved by). Events
without a ``decision_id`` take theirs from the event that caused them.
"""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from conveyor_contracts.address import Contact, PostalAddress
from conveyor_contracts.support import ReturnLine
from conveyor_contracts.values import CurrencyCode, StockLine

if TYPE_CHECKING:  # the cases' vocabulary; cases.py builds these events, so no import at run time
    from support.domain.cases import CaseKind, OpenedBy, Resolution

SettlementReason = Literal["lost", "damaged", "missing_items"]
RefundReason = Literal["returned", "lost", "damaged", "missing_items"]


@dataclass(frozen=True)
class Opened:
    order_id: str
    case_id: str
    kind: "CaseKind"
    opened_by: "OpenedBy"
    shipment_id: str | None = None
    summary: str | None = None
    seller_ids: tuple[str, ...] = ()
    decision_id: UUID | None = None  # a person's opening; a system case's comes from its cause


@dataclass(frozen=True)
class Resolved:
    order_id: str
    case_id: str
    resolution: "Resolution"
    decision_id: UUID | None = None
    follows: UUID | None = None


@dataclass(frozen=True)
class RmaIssued:
    """A return authorised: what shipping needs to book the pickup."""

    order_id: str
    case_id: str
    rma_id: str
    lines: tuple[ReturnLine, ...]
    collect_from: PostalAddress
    sender: Contact
    return_to: str
    expires_on: date
    decision_id: UUID


@dataclass(frozen=True)
class ReshipmentDecided:
    order_id: str
    case_id: str
    lines: tuple[StockLine, ...]
    reason: SettlementReason
    decision_id: UUID


@dataclass(frozen=True)
class RefundDecided:
    order_id: str
    case_id: str
    refund_id: str
    amount_minor: int
    currency: CurrencyCode
    reason: RefundReason
    decision_id: UUID
    rma_id: str | None = None  # the return refunded, if any


@dataclass(frozen=True)
class PersonalDataForgotten:
    """The buyer's erasure request is done, as far as support is concerned."""

    order_id: str
    erasure_id: str


SupportEvent = (
    Opened | Resolved | RmaIssued | ReshipmentDecided | RefundDecided | PersonalDataForgotten
)
