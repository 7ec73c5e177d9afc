"""The orders' invariants: every order at an end or waiting for the outside, and its statuses
never going back (``orders_ended``, ``status_monotonic``)."""

from collections import defaultdict

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CHECKOUT_ORDERS
from conveyor_local.audit.events import of_kind, status_history, topic_events
from conveyor_local.audit.read import Snapshot
from conveyor_local.audit.result import Invariant
from orders.domain.order import ON_ITS_WAY, PUBLIC_STATUS, OrderStatus
from shipping.domain.shipment import ShipmentStatus

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


def orders_ended(snapshot: Snapshot, invariant: Invariant) -> None:
    placed = {e.order_id for e in of_kind(topic_events(snapshot, CHECKOUT_ORDERS), OrderPlaced)}
    stored = {
        d["_id"]: OrderStatus[d["status"].upper()] for d in snapshot.collection("orders", "orders")
    }
    said = status_history(snapshot)
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
# ``delayed`` shows any status on the way to the buyer, once a parcel is forecast late.
_RANKS["delayed"] = sorted(status.value for status in ON_ITS_WAY)


def status_monotonic(snapshot: Snapshot, invariant: Invariant) -> None:
    """A sequence of public statuses is monotonic when some non-decreasing sequence of internal
    statuses shows as it: taking, at each step, the lowest internal rank that is not below the
    previous one decides it (a higher pick only leaves fewer choices later)."""
    said = status_history(snapshot)
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
