"""The invariant auditor: after a run of the mesh, what must hold of its topics and databases.

Reads every topic of a run's namespace (its topic prefix) and the four service databases of the
run (``<prefix>orders`` and so on), and checks:

1. ``orders_ended``: every valid ``OrderPlaced`` on the checkout topic has its order in the orders
   database and on the status topic, the status topic's last word is the database's status, and
   that status is an end or a waiting state (``WAITING``, below);
2. ``status_monotonic``: per order, the status topic never goes back by the order state
   machine's own rank (``orders.domain.order.OrderStatus``);
3. ``one_confirmed_booking``: per shipment, each carrier booking is confirmed at most once and by
   the carrier booked, and a shipment a carrier holds has exactly one confirmed booking, the one
   shipping's database names;
4. ``one_restock_and_refund``: at most one restock per returned shipment, at most one refund
   request per RMA;
5. ``stock_conserved``: per (warehouse, SKU), received + restocked = on hand + shipped, and
   0 <= reserved <= on hand, reserved being the holds of reservations still holding;
6. ``outboxes_drained``: no document of any service keeps an unpublished outbox entry;
7. ``dead_letters_expected``: every dead letter is one the caller said to expect;
8. ``consumer_lag_zero``: every consumer group of the run has consumed every partition to its end.

``python deploy/local/audit.py --prefix demo1796...-`` prints a table and exits 1 on any
violation; ``await audit(kafka, mongo_url, prefix)`` returns the same as an ``Audit``.
"""

import argparse
import asyncio
import functools
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from audit_read import Record, Snapshot, quiet, read_documents, read_lag, read_outboxes, read_topics
from pydantic import BaseModel, ValidationError
from pymongo import AsyncMongoClient

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockRestocked
from conveyor_contracts.orders import OrderStatusChanged
from conveyor_contracts.shipping.booking import (
    ReturnPickupBooked,
    ShipmentBooked,
    ShipmentConfirmed,
    ShipmentRebooked,
)
from conveyor_contracts.shipping.erasure import ShippingPersonalDataErased
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.support import RefundRequested
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    SUPPORT_REFUNDS,
    TOPICS,
    WAREHOUSE_RECEIPTS,
)
from conveyor_contracts.warehouse import GoodsReceived, StockCounted
from conveyor_runtime.kafka_auth import KafkaCredentials
from orders.domain.order import PUBLIC_STATUS, OrderStatus
from shipping.domain.shipment import ShipmentStatus

say = functools.partial(print, flush=True)  # a CLI: it reports on stdout

# Where an order's own state machine stops: nothing more is to come for it.
ENDS = frozenset(
    {
        OrderStatus.DELIVERED,
        OrderStatus.RETURNED_TO_SENDER,
        OrderStatus.REFUND_REQUESTED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
    }
)
# Statuses an order may rest in at the end of a run because its next fact must come from
# outside the mesh, and what it waits for. Every other status means the mesh lost or stalled
# something (a reservation, a booking, a scan, an inspection that its simulators always send).
WAITING = {
    # A backorder waits for goods receipts (or its deadline, which a run may end before).
    OrderStatus.BACKORDERED: "goods receipts or the backorder's deadline",
    # A lost parcel waits for an agent to reship or refund it on its lost-parcel case, or, when
    # no carrier would book the reshipment, on the case that failure opened.
    OrderStatus.LOST: "an agent: its lost-parcel case is open, or no carrier booked the reshipment",
    # A return waits for an agent when no carrier would collect it, or the carrier lost it.
    OrderStatus.RETURN_REQUESTED: "an agent: no carrier would collect the return, or one lost it",
}
# A shipment in one of these is, or was, in a carrier's hands under a confirmed booking.
CARRIER_HOLDS = frozenset(
    {
        ShipmentStatus.CONFIRMED,
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERY_FAILED,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURNED_TO_SENDER,
        ShipmentStatus.LOST,
    }
)
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


async def audit(
    kafka: str,
    mongo_url: str,
    prefix: str,
    *,
    expected_dead_letters: Sequence[ExpectedDeadLetter] = (),
    skip: Mapping[str, str] | None = None,
    quiet_within: float = 30.0,
    credentials: KafkaCredentials | None = None,
) -> Audit:
    """Check the invariants of the run whose topics and databases are named ``prefix``....

    Args:
        kafka: Bootstrap servers.
        mongo_url: The database server of the run's service databases.
        prefix: The run's topic prefix, e.g. ``demo1796194947-``.
        expected_dead_letters: What the run parked on purpose; any other dead letter violates.
        skip: Invariant name -> why it is not meaningful for this run (reported, not checked).
        quiet_within: Seconds to wait first for every group's lag to reach 0 and every outbox to
            drain (the mesh finishing its last messages); then the audit reads what is there.
        credentials: How the auditor logs in (the admin: it reads every topic and group).
    """
    started = time.monotonic()
    unknown = set(skip or {}) - set(INVARIANTS)
    if unknown:
        raise ValueError(f"no such invariant: {', '.join(sorted(unknown))}")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        if quiet_within > 0:
            await _until_quiet(kafka, mongo, prefix, quiet_within, credentials)
        waited = round(time.monotonic() - started, 2)
        snapshot = Snapshot(records=await read_topics(kafka, prefix, credentials))
        snapshot.documents = await read_documents(mongo, prefix)
        snapshot.pending, snapshot.documents_scanned = await read_outboxes(mongo, prefix)
        snapshot.lag = await read_lag(kafka, prefix, credentials)
    finally:
        await mongo.close()
    invariants = check(snapshot, expected_dead_letters, skip or {})
    messages = sum(len(records) for records in snapshot.records.values())
    return Audit(prefix, invariants, messages, round(time.monotonic() - started, 2), waited)


async def until_quiet(
    kafka: str,
    mongo_url: str,
    prefix: str,
    within: float,
    credentials: KafkaCredentials | None = None,
) -> bool:
    """Whether, within ``within`` seconds, every consumer group of the run reached the end of
    its topics with every outbox empty: the mesh at rest, done with what it was given."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        return await _until_quiet(kafka, mongo, prefix, within, credentials)
    finally:
        await mongo.close()


async def _until_quiet(
    kafka: str,
    mongo: AsyncMongoClient[dict[str, Any]],
    prefix: str,
    within: float,
    credentials: KafkaCredentials | None,
) -> bool:
    # Polled, with a deadline: quiet is other processes' state, there is nothing to await.
    deadline = time.monotonic() + within
    while True:
        if await quiet(kafka, mongo, prefix, credentials):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.5)


def check(
    snapshot: Snapshot, expected: Sequence[ExpectedDeadLetter], skip: Mapping[str, str]
) -> list[Invariant]:
    checks: dict[str, Callable[[Invariant], None]] = {
        "orders_ended": lambda i: _orders_ended(snapshot, i),
        "status_monotonic": lambda i: _status_monotonic(snapshot, i),
        "one_confirmed_booking": lambda i: _one_confirmed_booking(snapshot, i),
        "one_restock_and_refund": lambda i: _one_restock_and_refund(snapshot, i),
        "stock_conserved": lambda i: _stock_conserved(snapshot, i),
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


def _events(snapshot: Snapshot, spec: TopicSpec[Any]) -> list[Any]:
    """The topic's events that parse, each event id once (a re-publish repeats it), in offset
    order per partition (so per order); parsed once per snapshot."""
    if spec.name in snapshot.parsed:
        return snapshot.parsed[spec.name]
    seen: set[str] = set()
    events = []
    for record in snapshot.topic(spec.name):
        try:
            event = spec.adapter.validate_json(record.value)
        except ValidationError:
            continue  # not an event of the topic: dead-lettered by its consumers, checked in 7
        if str(event.event_id) not in seen:
            seen.add(str(event.event_id))
            events.append(event)
    snapshot.parsed[spec.name] = events
    return events


def _of(events: Iterable[Any], kind: type[BaseModel]) -> list[Any]:
    return [event for event in events if isinstance(event, kind)]


def _statuses(snapshot: Snapshot) -> dict[str, list[str]]:
    """Order id -> the public statuses the status topic said, in order."""
    said: dict[str, list[str]] = defaultdict(list)
    for event in _of(_events(snapshot, ORDER_STATUS), OrderStatusChanged):
        said[event.order_id].append(event.status)
    return said


def _orders_ended(snapshot: Snapshot, invariant: Invariant) -> None:
    placed = {e.order_id for e in _of(_events(snapshot, CHECKOUT_ORDERS), OrderPlaced)}
    stored = {
        d["_id"]: OrderStatus[d["status"].upper()] for d in snapshot.collection("orders", "orders")
    }
    said = _statuses(snapshot)
    waiting_for_agent = _waiting_for_agent(snapshot)
    invariant.checked = len(placed)
    for order_id in sorted(placed):
        status = stored.get(order_id)
        if status is None:
            invariant.fail(order_id, reason="placed, but not in the orders database")
            continue
        if not said.get(order_id):
            invariant.fail(order_id, reason="placed, but never on the status topic")
        elif said[order_id][-1] != PUBLIC_STATUS[status]:
            invariant.fail(
                order_id,
                reason=f"status topic last said {said[order_id][-1]}, "
                f"the database has {status.label}",
            )
        if status in ENDS:
            continue
        if status not in WAITING:
            invariant.fail(order_id, reason=f"still {status.label}: neither at an end nor waiting")
        elif status in waiting_for_agent and order_id not in waiting_for_agent[status]:
            invariant.fail(
                order_id, reason=f"still {status.label}, not waiting for {WAITING[status]}"
            )


def _waiting_for_agent(snapshot: Snapshot) -> dict[OrderStatus, set[str]]:
    """Orders a person must act on: a lost order with an unsettled lost-parcel case, or whose
    reshipment no carrier would book; a return with such a case (the carrier lost it) or whose
    pickup no carrier would take. A booking no carrier takes opens a case for an agent."""
    open_lost_case = {
        document["_id"]
        for document in snapshot.collection("support", "cases")
        for case in document.get("cases", [])
        if case.get("kind") == "lost_parcel" and not case.get("settlement")
    }
    not_booked: dict[bool, set[str]] = {True: set(), False: set()}  # by returning or not
    for document in snapshot.collection("shipping", "fulfilments"):
        for shipment in document.get("shipments", []):
            if shipment.get("status") == ShipmentStatus.BOOKING_FAILED:
                not_booked[bool(shipment.get("returning"))].add(document["_id"])
    return {
        OrderStatus.LOST: open_lost_case | not_booked[False],
        OrderStatus.RETURN_REQUESTED: open_lost_case | not_booked[True],
    }


# A public status covers one internal status or a few (awaiting_pickup: reserved and booked).
_RANKS: dict[str, list[int]] = defaultdict(list)
for _status, _label in PUBLIC_STATUS.items():
    _RANKS[_label].append(_status.value)


def _status_monotonic(snapshot: Snapshot, invariant: Invariant) -> None:
    """A sequence of public statuses is monotonic when some non-decreasing sequence of internal
    statuses shows as it: taking, at each step, the lowest internal rank that is not below the
    previous one decides it (a higher pick only leaves fewer choices later)."""
    said = _statuses(snapshot)
    invariant.checked = len(said)
    for order_id, statuses in sorted(said.items()):
        rank = 0
        for before, status in zip(["(none)", *statuses], statuses, strict=False):
            fitting = [r for r in _RANKS.get(status, []) if r >= rank]
            if not fitting:
                why = "not a status of the order state machine" if status not in _RANKS else ""
                invariant.fail(order_id, reason=f"{before} -> {status} {why or 'goes back'}")
                break
            rank = min(fitting)


def _one_confirmed_booking(snapshot: Snapshot, invariant: Invariant) -> None:
    booked_with: dict[str, str] = {}  # shipment id -> carrier of its current booking
    confirmations: dict[str, list[ShipmentConfirmed]] = {}  # ...of its current booking
    for event in _events(snapshot, SHIPPING_SHIPMENTS):
        if isinstance(event, ShippingPersonalDataErased):
            continue  # about the order, not one of its shipments
        shipment_id = event.shipment_id
        if isinstance(event, ShipmentBooked | ShipmentRebooked | ReturnPickupBooked):
            booked_with[shipment_id] = event.carrier_code
            confirmations[shipment_id] = []
        elif isinstance(event, ShipmentConfirmed):
            carrier = booked_with.get(shipment_id)
            if carrier != event.carrier_code:
                invariant.fail(
                    event.order_id,
                    shipment_id,
                    reason=f"confirmed by {event.carrier_code}, booked with {carrier or 'nobody'}",
                )
                continue
            confirmations[shipment_id].append(event)
            if len(confirmations[shipment_id]) == 2:
                invariant.fail(
                    event.order_id, shipment_id, reason=f"booking with {carrier} confirmed twice"
                )
    for document in snapshot.collection("shipping", "fulfilments"):
        for shipment in document.get("shipments", []):
            invariant.checked += 1
            shipment_id, status = shipment["shipment_id"], ShipmentStatus(shipment["status"])
            if status not in CARRIER_HOLDS:
                continue
            confirmed = confirmations.get(shipment_id, [])
            ids = (document["_id"], shipment_id)
            if not confirmed:
                invariant.fail(*ids, reason=f"{status} without a confirmed booking")
                continue
            said = f"{confirmed[0].carrier_code} {confirmed[0].tracking_number}"
            kept = f"{shipment.get('carrier_code')} {shipment.get('tracking_number')}"
            if said != kept:
                invariant.fail(*ids, reason=f"confirmed {said}, shipping's database has {kept}")


def _one_restock_and_refund(snapshot: Snapshot, invariant: Invariant) -> None:
    restocks = _of(_events(snapshot, INVENTORY_RESERVATIONS), StockRestocked)
    refunds = [r for r in _of(_events(snapshot, SUPPORT_REFUNDS), RefundRequested) if r.rma_id]
    returned = Counter(event.shipment_id for event in restocks)
    refunded = Counter(event.rma_id for event in refunds)
    order_of = {e.shipment_id: e.order_id for e in restocks} | {
        e.rma_id: e.order_id for e in refunds
    }
    # Inventory marks a restocked parcel on the order's reservation: once, or it restocked twice.
    for document in snapshot.collection("inventory", "reservations"):
        for shipment_id, times in Counter(document.get("returned", [])).items():
            if times > 1:
                invariant.fail(
                    document.get("order_id", document["_id"]),
                    shipment_id,
                    reason=f"marked restocked {times} times on its reservation",
                )
    invariant.checked = len(returned) + len(refunded)
    for shipment_id, times in sorted(returned.items()):
        if times > 1:
            invariant.fail(order_of[shipment_id], shipment_id, reason=f"restocked {times} times")
    for rma_id, times in sorted(refunded.items()):
        if times > 1:
            invariant.fail(order_of[rma_id], rma_id, reason=f"{times} refund requests for one RMA")


def _stock_conserved(snapshot: Snapshot, invariant: Invariant) -> None:
    """Per (warehouse, SKU), on hand = received + restocked - shipped, where:

    - received: each ``GoodsReceived`` of the receipts topic once per receipt reference (the key
      inventory applies it under, ``applied`` in the stock document), the first one read;
    - restocked: the resellable lines of each returned parcel's ``StockRestocked`` (units back
      on the shelf, applied once per parcel under ``return|<shipment id>``);
    - shipped: for each reservation document (an order's own, or a reshipment's) and each
      warehouse in its ``committed``, the units of its allocation there: they left with the
      carrier, whether the hold was committed or (a cancellation racing the pickup) already
      given back.

    Inventory stores no running totals, so this is the only identity its documents and events
    can be held to; a (warehouse, SKU) whose stock was counted is not checked, since a count
    sets on hand to what the shelf holds. Then ``reserved`` is the sum of the holds, within
    0..on hand, and every hold belongs to a reservation still holding that warehouse's units.
    """
    received: Counter[tuple[str, str]] = Counter()
    counted: set[tuple[str, str]] = set()
    refs: set[tuple[str, str, str]] = set()
    for event in _events(snapshot, WAREHOUSE_RECEIPTS):
        key = (event.warehouse_id, event.sku)
        if isinstance(event, StockCounted):
            counted.add(key)
        elif isinstance(event, GoodsReceived) and (*key, event.receipt_ref) not in refs:
            refs.add((*key, event.receipt_ref))
            received[key] += event.quantity
    restocked: Counter[tuple[str, str]] = Counter()
    parcels: set[str] = set()
    for restock in _of(_events(snapshot, INVENTORY_RESERVATIONS), StockRestocked):
        if restock.shipment_id not in parcels:
            parcels.add(restock.shipment_id)
            for line in restock.restocked:
                restocked[(restock.warehouse_id, line.sku)] += line.quantity
    shipped: Counter[tuple[str, str]] = Counter()
    holding: set[tuple[str, str]] = set()  # (reservation id, warehouse) whose holds may stand
    for reservation in snapshot.collection("inventory", "reservations"):
        for allocation in reservation.get("allocations", []):
            warehouse = allocation["warehouse_id"]
            if warehouse in reservation.get("committed", []):
                for line in allocation["lines"]:
                    shipped[(warehouse, line["sku"])] += line["units"]
            elif reservation.get("status") in ("reserved", "pending"):
                holding.add((reservation["reservation_id"], warehouse))
    for stock in snapshot.collection("inventory", "stock"):
        key = (stock["warehouse_id"], stock["sku"])
        label = f"{stock['sku']}@{stock['warehouse_id']}"
        invariant.checked += 1
        on_hand, reserved, holds = stock["on_hand"], stock["reserved"], stock.get("holds", {})
        expected = received[key] + restocked[key] - shipped[key]
        if key not in counted and on_hand != expected:
            invariant.fail(
                label,
                reason=f"on hand {on_hand}, but received {received[key]} + restocked "
                f"{restocked[key]} - shipped {shipped[key]} = {expected}",
            )
        if not 0 <= reserved <= on_hand or reserved != sum(holds.values()):
            invariant.fail(
                label,
                reason=f"reserved {reserved}, on hand {on_hand}, holds {sum(holds.values())}",
            )
        for reservation_id in sorted(set(holds) - {r for r, w in holding if w == key[0]}):
            invariant.fail(
                label,
                reservation_id,
                reason=f"holds {holds[reservation_id]} for a reservation no longer holding here",
            )


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


def _expected_from(text: str) -> ExpectedDeadLetter:
    topic, _, reason = text.partition(":")
    return ExpectedDeadLetter(topic, reason)


def main(argv: list[str] | None = None) -> int:
    import stack  # only the command line needs the local stack's default addresses

    local = stack.Endpoints.of(stack.Settings.from_env())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", required=True, help="the run's topic prefix, e.g. demo17-")
    parser.add_argument("--kafka", default=local.kafka)
    parser.add_argument("--mongo-url", default=local.mongo_url)
    parser.add_argument(
        "--expect-dead-letter",
        action="append",
        default=[],
        metavar="TOPIC[:REASON]",
        help="dead letters the run meant, e.g. checkout.orders.v1:ValidationError",
    )
    parser.add_argument("--quiet-within", type=float, default=30.0, help="seconds to settle")
    parser.add_argument("--json", action="store_true", help="print the audit as JSON")
    args = parser.parse_args(argv)
    result = asyncio.run(
        audit(
            args.kafka,
            args.mongo_url,
            args.prefix,
            expected_dead_letters=[_expected_from(text) for text in args.expect_dead_letter],
            quiet_within=args.quiet_within,
            credentials=local.kafka_login(),
        )
    )
    if args.json:
        say(json.dumps(result.to_json(), indent=2))
    else:
        for line in result.table():
            say(line)
        say(
            f"{result.messages} messages read; {result.seconds} s "
            f"({result.waited} s of them waiting for the mesh to go quiet)"
        )
    return 0 if result.held else 1


if __name__ == "__main__":
    sys.exit(main())
