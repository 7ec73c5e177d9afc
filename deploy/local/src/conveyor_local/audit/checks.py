"""The invariants by name, in the order they are reported, and the checks of the mesh's own
plumbing: outboxes drained, dead letters expected, no consumer lag."""

from collections.abc import Callable, Mapping, Sequence

from conveyor_contracts.topics import TOPICS
from conveyor_local.audit.once import one_confirmed_booking, one_restock_and_refund
from conveyor_local.audit.orders import orders_ended, status_monotonic
from conveyor_local.audit.read import Snapshot
from conveyor_local.audit.result import ExpectedDeadLetter, Invariant
from conveyor_local.audit.stock import stock_conserved

# What holds only once the mesh is at rest: a run that cannot wait for that (a benchmark
# phase cut short, the mesh still busy) skips these, with this reason.
AT_REST = dict.fromkeys(
    (
        "orders_ended",  # an order in flight is neither at an end nor waiting
        "one_confirmed_booking",  # a confirmed shipment's event may still be in its outbox
        "stock_conserved",  # a dispatch moves the stock before it marks the reservation
        "outboxes_drained",
        "consumer_lag_zero",
    ),
    "the mesh was still busy: holds only once every message is handled",
)
INVARIANTS = (
    "orders_ended",
    "status_monotonic",
    "one_confirmed_booking",
    "one_restock_and_refund",
    "stock_conserved",
    "outboxes_drained",
    "dead_letters_expected",
    "consumer_lag_zero",
)


def check(
    snapshot: Snapshot, expected: Sequence[ExpectedDeadLetter], skip: Mapping[str, str]
) -> list[Invariant]:
    checks: dict[str, Callable[[Invariant], None]] = {
        "orders_ended": lambda i: orders_ended(snapshot, i),
        "status_monotonic": lambda i: status_monotonic(snapshot, i),
        "one_confirmed_booking": lambda i: one_confirmed_booking(snapshot, i),
        "one_restock_and_refund": lambda i: one_restock_and_refund(snapshot, i),
        "stock_conserved": lambda i: stock_conserved(snapshot, i),
        "outboxes_drained": lambda i: _outboxes_drained(snapshot, i),
        "dead_letters_expected": lambda i: _dead_letters_expected(snapshot, expected, i),
        "consumer_lag_zero": lambda i: _consumer_lag_zero(snapshot, i),
    }
    invariants = []
    for name in INVARIANTS:
        invariant = Invariant(name, skipped=skip.get(name))
        if invariant.skipped is None:
            checks[name](invariant)
        invariants.append(invariant)
    return invariants


def _outboxes_drained(snapshot: Snapshot, invariant: Invariant) -> None:
    invariant.checked = snapshot.documents_scanned
    for pending in snapshot.pending:
        invariant.fail(
            pending.document_id,
            reason=f"{pending.database}.{pending.collection}: {len(pending.event_types)} "
            f"unpublished ({', '.join(sorted(set(pending.event_types)))})",
        )


def _dead_letters_expected(
    snapshot: Snapshot, expected: Sequence[ExpectedDeadLetter], invariant: Invariant
) -> None:
    for spec in TOPICS:
        for record in snapshot.topic(spec.dead_letter):
            invariant.checked += 1
            if not any(rule.matches(record) for rule in expected):
                reason = record.headers.get("x-dlq-reason", "no reason header")
                invariant.fail(record.key or "(no key)", reason=f"{spec.dead_letter}: {reason}")


def _consumer_lag_zero(snapshot: Snapshot, invariant: Invariant) -> None:
    invariant.checked = len(snapshot.lag)
    for lag in snapshot.lag:
        if lag.behind:
            invariant.fail(
                lag.group, reason=f"{lag.behind} behind on {lag.topic} partition {lag.partition}"
            )
