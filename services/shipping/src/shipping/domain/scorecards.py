"""How each carrier has done lately, from what shipping keeps of its shipments: pure rules.

Each figure is a numerator over a denominator, each counted by the instant of its own fact, in
a window ``[now - days, now]``:

- on time: outbound parcels delivered by their ``deliver_by`` / outbound parcels delivered
  (delivered at the time of the scan that delivered it);
- first attempt: outbound parcels delivered with no failed attempt scanned before the delivery
  / outbound parcels delivered;
- loss: parcels (outbound or returns) reported lost, at the first lost scan that moved them /
  parcels picked up, at their first moving scan;
- decline: booking requests the carrier declined or did not answer in time, at the decline /
  booking requests sent to it, at the request.

A rate over no denominator is unknown (``None``), never 0 or 1. The scans are the ones the
carrier holding the shipment reported (the carrier that delivered, or lost, it).
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, get_args

from shipping.domain.shipment import Scan, Shipment, ShipmentStatus
from shipping.domain.tracking import moves

FigureName = Literal["on_time", "first_attempt", "loss", "decline"]
FIGURES: tuple[FigureName, ...] = get_args(FigureName)
Side = Literal["numerator", "denominator"]
WindowName = Literal["7d", "30d"]
WINDOWS: dict[WindowName, timedelta] = {"7d": timedelta(days=7), "30d": timedelta(days=30)}
LONGEST = max(WINDOWS.values())


@dataclass(frozen=True)
class Figure:
    numerator: int = 0
    denominator: int = 0

    @property
    def rate(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator


@dataclass(frozen=True)
class Scorecard:
    on_time: Figure = Figure()
    first_attempt: Figure = Figure()
    loss: Figure = Figure()
    decline: Figure = Figure()


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    def holds(self, at: datetime) -> bool:
        # No upper bound: a fact shipping already knows happened, even when the carrier's clock
        # dates it after ``until`` (a clock ahead, or a simulated carrier's accelerated time).
        return self.since <= at


@dataclass(frozen=True)
class CarrierScorecards:
    """Every carrier's scorecard per window, as of ``as_of`` (None: not counted yet)."""

    as_of: datetime | None = None
    windows: Mapping[WindowName, Window] = field(default_factory=dict)
    cards: Mapping[WindowName, Mapping[str, Scorecard]] = field(default_factory=dict)

    def on_time(self, window: WindowName = "30d") -> dict[str, Figure]:
        """Each carrier's on-time figure over ``window``."""
        return {code: card.on_time for code, card in self.cards.get(window, {}).items()}


@dataclass(frozen=True)
class Mark:
    """One count towards one side of one carrier's figure, at the instant of its fact."""

    carrier_code: str
    figure: FigureName
    side: Side
    at: datetime


def windows(now: datetime) -> dict[WindowName, Window]:
    return {name: Window(now - days, now) for name, days in WINDOWS.items()}


def scorecards(
    shipments: Iterable[Shipment], carriers: Iterable[str], now: datetime
) -> CarrierScorecards:
    """Every carrier's scorecards as of ``now``: those of ``carriers`` (zero when nothing is
    counted) and of any other carrier the shipments name."""
    counted = [mark for shipment in shipments for mark in marks(shipment)]
    codes = sorted(set(carriers) | {mark.carrier_code for mark in counted})
    spans = windows(now)
    cards = {name: _cards(counted, span, codes) for name, span in spans.items()}
    return CarrierScorecards(now, spans, cards)


def _cards(counted: list[Mark], window: Window, codes: list[str]) -> dict[str, Scorecard]:
    counts = Counter(
        (mark.carrier_code, mark.figure, mark.side) for mark in counted if window.holds(mark.at)
    )

    def figure(code: str, name: FigureName) -> Figure:
        return Figure(counts[(code, name, "numerator")], counts[(code, name, "denominator")])

    return {code: Scorecard(**{name: figure(code, name) for name in FIGURES}) for code in codes}


def marks(shipment: Shipment) -> list[Mark]:
    """What the shipment counts towards its carriers' figures, at the instant of each fact."""
    return [*_requests(shipment), *_tracking(shipment)]


def _requests(shipment: Shipment) -> Iterator[Mark]:
    for request in shipment.bookings:
        yield Mark(request.carrier_code, "decline", "denominator", request.asked_at)
        if request.declined_at is not None:
            yield Mark(request.carrier_code, "decline", "numerator", request.declined_at)


def _tracking(shipment: Shipment) -> list[Mark]:
    code = shipment.carrier_code
    moved = moves(shipment.scans)
    if code is None or not moved:
        return []
    counted = [Mark(code, "loss", "denominator", moved[0][0].scanned_at)]
    lost = next((scan for scan, status in moved if status is ShipmentStatus.LOST), None)
    if lost is not None:
        counted.append(Mark(code, "loss", "numerator", lost.scanned_at))
    last, status = moved[-1]
    if shipment.returning is None and status is ShipmentStatus.DELIVERED:
        counted += _delivery(shipment, code, last)
    return counted


def _delivery(shipment: Shipment, code: str, delivered: Scan) -> list[Mark]:
    at = delivered.scanned_at
    # As for DeliverySlaBreached: late only when delivered after a deadline it has.
    on_time = shipment.deliver_by is None or at <= shipment.deliver_by
    first = not any(s.status == "delivery_failed" and s.scanned_at < at for s in shipment.scans)
    counted = [
        Mark(code, "on_time", "denominator", at),
        Mark(code, "first_attempt", "denominator", at),
    ]
    if on_time:
        counted.append(Mark(code, "on_time", "numerator", at))
    if first:
        counted.append(Mark(code, "first_attempt", "numerator", at))
    return counted
