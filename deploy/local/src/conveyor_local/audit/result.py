"""What an audit returns: each invariant, whether it held, and what violated it."""

from dataclasses import asdict, dataclass, field
from typing import Any

from conveyor_local.audit.read import Record


@dataclass(frozen=True)
class ExpectedDeadLetter:
    """Dead letters a run meant to cause: on ``topic`` (the registry's name, without the run's
    prefix, e.g. ``checkout.orders.v1``), whose ``x-dlq-reason`` header contains ``reason``
    (e.g. ``ValidationError``), with one of ``keys`` as message key (any key when None)."""

    topic: str
    reason: str = ""
    keys: frozenset[str] | None = None

    def matches(self, record: Record) -> bool:
        return (
            record.topic == self.topic + ".dlq"
            and self.reason in record.headers.get("x-dlq-reason", "")
            and (self.keys is None or record.key in self.keys)
        )


@dataclass(frozen=True)
class Violation:
    ids: tuple[str, ...]  # order ids first; else the keys naming the thing (shipment, stock)
    reason: str


@dataclass
class Invariant:
    name: str
    checked: int = 0  # orders, shipments, stock documents... that the check looked at
    violations: list[Violation] = field(default_factory=list)
    skipped: str | None = None  # why it was not checked, when the caller said so

    @property
    def held(self) -> bool:
        return self.skipped is None and not self.violations

    def fail(self, *ids: str, reason: str) -> None:
        self.violations.append(Violation(tuple(ids), reason))


@dataclass
class Audit:
    prefix: str
    invariants: list[Invariant]
    messages: int  # read off the run's topics
    seconds: float  # the whole audit, waiting for quiet included
    waited: float  # of which waiting for the mesh to go quiet

    @property
    def held(self) -> bool:
        """Every invariant that was checked held (a skipped one was not claimed)."""
        return all(i.held or i.skipped is not None for i in self.invariants)

    def offending_ids(self) -> list[str]:
        return sorted({v.ids[0] for i in self.invariants for v in i.violations if v.ids})

    def problems(self, most: int = 10) -> list[str]:
        """One line per violation, at most ``most`` per invariant, for a run's summary."""
        lines = []
        for invariant in self.invariants:
            for violation in invariant.violations[:most]:
                lines.append(
                    f"audit {invariant.name}: {', '.join(violation.ids)}: {violation.reason}"
                )
            if len(invariant.violations) > most:
                lines.append(f"audit {invariant.name}: {len(invariant.violations) - most} more")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "held": self.held,
            "messages": self.messages,
            "seconds": self.seconds,
            "waited_for_quiet_seconds": self.waited,
            "invariants": [
                {**asdict(i), "held": i.held, "violations": [asdict(v) for v in i.violations]}
                for i in self.invariants
            ],
        }

    def table(self) -> list[str]:
        rows = [f"{'invariant':<24} {'held':<6} {'checked':>8} {'violations':>10}"]
        for i in self.invariants:
            held = "skip" if i.skipped else ("yes" if i.held else "NO")
            rows.append(f"{i.name:<24} {held:<6} {i.checked:>8} {len(i.violations):>10}")
            rows += [f"    {', '.join(v.ids)}: {v.reason}" for v in i.violations[:20]]
            if i.skipped:
                rows.append(f"    not checked: {i.skipped}")
        return rows
