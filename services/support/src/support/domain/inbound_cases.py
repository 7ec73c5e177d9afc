"""A seller's case about one inbound shipment (ASN) that did not arrive as announced.

Inventory tells each discrepancy of an ASN once (short, over, unexpected SKU, late); the first
opens the ASN's case, for the seller and the agents, and every further one is noted on it. A
discrepancy told again (a redelivery) changes nothing. A new one on a case already answered
opens it again: a person has something new to look at. An open case nobody answered by its
first-response deadline is escalated, once, as an order's case is. The end of the ASN's
reconciliation is kept on the case (its outcome), which stays for an agent to settle with the
seller.

Pure data and rules; no order is involved, so these cases live apart from the orders' cases.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from support.domain.cases import CaseStatus, Resolution, check_move

DiscrepancyKind = Literal["short", "over", "unexpected_sku", "late"]
InboundOutcome = Literal["complete", "short", "over", "mixed"]

_CASE_IDS = uuid.UUID("5b0c9e3e-2f1d-4a7c-8d61-0e4f7a9b3c25")


def inbound_case_id(asn_id: str) -> str:
    """One case per ASN, whichever of its discrepancies opens it."""
    return "case_" + uuid.uuid5(_CASE_IDS, f"asn/{asn_id}").hex


@dataclass(frozen=True)
class Discrepancy:
    kind: DiscrepancyKind
    sku: str | None  # None for 'late', which concerns the whole shipment
    expected: int | None
    received: int | None
    found_at: datetime  # when support heard of it

    @property
    def matter(self) -> tuple[str, str | None]:
        """What inventory tells once per ASN: a kind, for a SKU."""
        return (self.kind, self.sku)


@dataclass(frozen=True)
class InboundCase:
    case_id: str
    asn_id: str
    seller_id: str
    warehouse_id: str
    opened_at: datetime
    status: CaseStatus
    respond_by: datetime | None  # first-response deadline; None once an agent moved it
    discrepancies: tuple[Discrepancy, ...] = ()
    outcome: InboundOutcome | None = None  # how the reconciliation ended, once it has
    resolution: Resolution | None = None
    escalated: bool = False
    escalated_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def ended(self) -> bool:
        return self.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)

    @property
    def due_at(self) -> datetime | None:
        """When the case is escalated if nobody has answered it by then (for the timer)."""
        if self.status is not CaseStatus.OPEN or self.escalated:
            return None
        return self.respond_by

    def escalated_if_due(self, now: datetime) -> "InboundCase":
        """Escalated, once, when its first-response deadline passed unanswered."""
        due = self.due_at
        if due is None or now < due:
            return self
        return replace(self, escalated=True, escalated_at=now, updated_at=now)

    def noting(self, discrepancy: Discrepancy, first_response: timedelta) -> "InboundCase":
        if any(known.matter == discrepancy.matter for known in self.discrepancies):
            return self
        noted = replace(
            self,
            discrepancies=(*self.discrepancies, discrepancy),
            updated_at=discrepancy.found_at,
        )
        if not self.ended:
            return noted
        return replace(
            noted,
            status=CaseStatus.OPEN,
            resolution=None,
            respond_by=discrepancy.found_at + first_response,
            escalated=False,
            escalated_at=None,
        )

    def reconciled(self, outcome: InboundOutcome, now: datetime) -> "InboundCase":
        if self.outcome == outcome:
            return self
        return replace(self, outcome=outcome, updated_at=now)

    def moved_to(
        self, status: CaseStatus, resolution: Resolution | None, now: datetime
    ) -> "InboundCase":
        """An agent's move, along the same paths as an order's case."""
        if status == self.status:
            return self
        check_move(self.status, status)
        ending = (resolution or "no_action") if status is not CaseStatus.WAITING else None
        return replace(self, status=status, resolution=ending, respond_by=None, updated_at=now)


def unopened(
    asn_id: str, *, seller_id: str, warehouse_id: str, at: datetime, first_response: timedelta
) -> InboundCase:
    """The ASN's case before any discrepancy: what the first one opens (``noting`` it)."""
    return InboundCase(
        case_id=inbound_case_id(asn_id),
        asn_id=asn_id,
        seller_id=seller_id,
        warehouse_id=warehouse_id,
        opened_at=at,
        status=CaseStatus.OPEN,
        respond_by=at + first_response,
        updated_at=at,
    )
