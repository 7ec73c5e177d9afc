"""A seller's inbound shipment (ASN) to one warehouse, reconciled against what it received.

Announced units are a promise, not stock: the stock counts only receipts. Each receipt naming
the ASN adds its units to the SKU's received count (once per SKU and receipt reference, as the
stock applies it); what differs from the announcement is told once per kind and SKU. The
reconciliation ends once: at the receipt that brings every announced unit with nothing over or
unexpected (``complete``), else when the warehouse says its receiving is done
(``receiving_done``) or the grace after the expected arrival ran out (``close``), whichever
comes first. A receipt after the end moves stock only.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from conveyor_contracts.business_days import BusinessCalendar
from inventory.domain.events import (
    DiscrepancyKind,
    InboundAnnounced,
    InboundDiscrepancy,
    InboundEvent,
    InboundOutcome,
    InboundReconciled,
    Lines,
)
from inventory.domain.warehouses import Warehouse

AsnStatus = Literal["open", "reconciled"]


@dataclass(frozen=True)
class Discrepancy:
    """One difference told: ``sku`` None for ``late``; the counts when it was found."""

    kind: DiscrepancyKind
    sku: str | None = None
    expected: int | None = None
    received: int | None = None


@dataclass(frozen=True)
class Asn:
    asn_id: str
    seller_id: str
    warehouse_id: str
    market: str
    expected_arrival: date
    lines: Lines  # (sku, units) announced, in the seller's order, one per SKU
    reference: str  # the seller's own reference: the same one announces nothing twice
    closes_at: datetime  # end of the expected arrival day plus the grace, in business days
    announced_at: datetime
    received: Lines = ()  # (sku, units) received against the ASN, in the order first received
    receipts: tuple[str, ...] = ()  # "<sku>|<receipt_ref>" applied
    discrepancies: tuple[Discrepancy, ...] = ()
    outcome: InboundOutcome | None = None  # set once, when the reconciliation ends

    @property
    def status(self) -> AsnStatus:
        return "open" if self.outcome is None else "reconciled"

    @property
    def due_at(self) -> datetime | None:
        """When the timer ends the reconciliation; None once it ended."""
        return self.closes_at if self.outcome is None else None

    @property
    def correlation_id(self) -> str:
        return self.asn_id  # every event of the ASN tells its one story

    def expected_of(self, sku: str) -> int:
        return dict(self.lines).get(sku, 0)

    def received_of(self, sku: str) -> int:
        return dict(self.received).get(sku, 0)

    def told(self, kind: DiscrepancyKind, sku: str | None = None) -> bool:
        return any(d.kind == kind and d.sku == sku for d in self.discrepancies)

    def same_announcement(self, warehouse_id: str, expected_arrival: date, lines: Lines) -> bool:
        """Whether a repeated announcement under the same reference says the same thing."""
        return (self.warehouse_id, self.expected_arrival, self.lines) == (
            warehouse_id,
            expected_arrival,
            lines,
        )


Outcome = tuple[Asn, list[InboundEvent]]


def asn_id_for(seller_id: str, reference: str) -> str:
    """The ASN id of a seller's reference: a retried announcement finds the ASN it made."""
    digest = hashlib.sha256(f"{seller_id}|{reference}".encode()).hexdigest()
    return f"asn_{digest[:24]}"


def grace_ends(calendar: BusinessCalendar, market: str, arrival: date, grace_days: int) -> datetime:
    """The end of the ``grace_days``-th business day after ``arrival`` in the market (the end
    of the arrival day itself for no grace); a weekend or holiday arrival counts from the next
    business day after it."""
    day = arrival
    for _ in range(grace_days):
        day = calendar.next_business_day(market, day + timedelta(days=1))
    return calendar.end_of_day(market, day)


@dataclass(frozen=True)
class Invalid:
    """Why an announcement is refused: where (``body.lines.1.sku``) and what is wrong."""

    field: str
    reason: str


def announcement_problems(
    warehouse: Warehouse | None,
    expected_arrival: date,
    lines: Sequence[tuple[str, int]],
    *,
    seller_id: str,
    today: date | None,
    sellers_of: Mapping[str, set[str]],
) -> list[Invalid]:
    """What is wrong with an announcement: a warehouse outside the network, an arrival before
    the warehouse's local ``today``, a SKU twice, a SKU whose stock is another seller's."""
    problems: list[Invalid] = []
    if warehouse is None:
        problems.append(Invalid("body.warehouse_id", "not a warehouse of the network"))
    elif today is not None and expected_arrival < today:
        problems.append(Invalid("body.expected_arrival", f"before today ({today}) there"))
    seen: set[str] = set()
    for index, (sku, _) in enumerate(lines):
        if sku in seen:
            problems.append(Invalid(f"body.lines.{index}.sku", f"{sku} is announced twice"))
        seen.add(sku)
        if sellers_of.get(sku, set()) - {seller_id}:
            problems.append(Invalid(f"body.lines.{index}.sku", f"{sku} is another seller's"))
    return problems


def announce(
    asn_id: str,
    seller_id: str,
    warehouse: Warehouse,
    expected_arrival: date,
    lines: Lines,
    reference: str,
    *,
    now: datetime,
    closes_at: datetime,
) -> Outcome:
    asn = Asn(
        asn_id,
        seller_id,
        warehouse.warehouse_id,
        warehouse.market,
        expected_arrival,
        lines,
        reference,
        closes_at,
        now,
    )
    return asn, [InboundAnnounced(asn_id, seller_id, asn.warehouse_id, expected_arrival, lines)]


def receive(
    asn: Asn,
    sku: str,
    units: int,
    receipt_ref: str,
    received_at: datetime,
    calendar: BusinessCalendar,
) -> Outcome:
    """A receipt against the ASN: its units counted once, what differs told, the reconciliation
    ended if everything announced is in and nothing differs. A closed ASN is left as it is."""
    key = f"{sku}|{receipt_ref}"
    if asn.outcome is not None or key in asn.receipts:
        return asn, []
    after = _counted(asn, sku, units, key)
    found = _late(after, received_at, calendar) + _difference(after, sku, after.received_of(sku))
    after = replace(after, discrepancies=(*after.discrepancies, *found))
    events: list[InboundEvent] = [_discrepancy(after, d) for d in found]
    if _all_in(after) and not _differs(after):
        after = replace(after, outcome="complete")
        events.append(_reconciled(after))
    return after, events


def close(asn: Asn, now: datetime) -> Outcome:
    """The grace ran out: the reconciliation ends (``_end``). Before the deadline, or once
    ended, nothing changes."""
    if now < asn.closes_at:
        return asn, []
    return _end(asn)


def receiving_done(asn: Asn) -> Outcome:
    """The warehouse put away everything that came for the ASN: the reconciliation ends now,
    as it would when the grace runs out. Once ended, nothing changes (a repeat, the timer)."""
    return _end(asn)


def _end(asn: Asn) -> Outcome:
    """Every SKU still short is told, then the outcome; an ended ASN is left as it is."""
    if asn.outcome is not None:
        return asn, []
    short = [
        Discrepancy("short", sku, units, asn.received_of(sku))
        for sku, units in asn.lines
        if asn.received_of(sku) < units
    ]
    after = replace(asn, discrepancies=(*asn.discrepancies, *short))
    after = replace(after, outcome=_outcome(bool(short), _differs(after)))
    return after, [*(_discrepancy(after, d) for d in short), _reconciled(after)]


def reconciled_lines(asn: Asn) -> tuple[tuple[str, int, int], ...]:
    """(sku, expected, received): the announced SKUs in order, then those not announced."""
    announced = tuple((sku, units, asn.received_of(sku)) for sku, units in asn.lines)
    unexpected = tuple((sku, 0, n) for sku, n in asn.received if sku not in dict(asn.lines))
    return announced + unexpected


def _counted(asn: Asn, sku: str, units: int, key: str) -> Asn:
    """The ASN with the receipt's units added to its SKU's, and the receipt remembered."""
    if sku in dict(asn.received):
        received = tuple((s, n + units if s == sku else n) for s, n in asn.received)
    else:
        received = (*asn.received, (sku, units))
    return replace(asn, received=received, receipts=(*asn.receipts, key))


def _late(asn: Asn, received_at: datetime, calendar: BusinessCalendar) -> list[Discrepancy]:
    """The first receipt on a local day after the expected arrival is late (told once)."""
    if asn.told("late") or calendar.local_date(asn.market, received_at) <= asn.expected_arrival:
        return []
    return [Discrepancy("late")]


def _difference(asn: Asn, sku: str, total: int) -> list[Discrepancy]:
    expected = dict(asn.lines).get(sku)
    if expected is None:
        if asn.told("unexpected_sku", sku):
            return []
        return [Discrepancy("unexpected_sku", sku, 0, total)]
    if total > expected and not asn.told("over", sku):
        return [Discrepancy("over", sku, expected, total)]
    return []


def _all_in(asn: Asn) -> bool:
    return all(asn.received_of(sku) >= units for sku, units in asn.lines)


def _differs(asn: Asn) -> bool:
    """More than announced of some SKU, or a SKU not announced."""
    return any(d.kind in ("over", "unexpected_sku") for d in asn.discrepancies)


def _outcome(short: bool, over: bool) -> InboundOutcome:
    if short and over:
        return "mixed"
    if short:
        return "short"
    return "over" if over else "complete"


def _discrepancy(asn: Asn, found: Discrepancy) -> InboundDiscrepancy:
    return InboundDiscrepancy(
        asn.asn_id,
        asn.seller_id,
        asn.warehouse_id,
        found.kind,
        found.sku,
        found.expected,
        found.received,
    )


def _reconciled(asn: Asn) -> InboundReconciled:
    assert asn.outcome is not None
    return InboundReconciled(
        asn.asn_id, asn.seller_id, asn.warehouse_id, asn.outcome, reconciled_lines(asn)
    )
