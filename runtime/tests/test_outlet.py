"""The one way from domain events to the wire: envelopes, derived ids, topics and keys."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from conveyor_contracts.orders import OrderCancellationRefused, OrderCancelled
from conveyor_contracts.topics import ORDER_LIFECYCLE
from conveyor_runtime.outbox import derived_event_id
from conveyor_runtime.outlet import Cause, Outlet, Wired

AT = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
CAUSE_ID = uuid.UUID("7d3c8f0a-1b2e-4c5d-9e8f-0a1b2c3d4e5f")
CAUSE = Cause(CAUSE_ID, AT, "corr-cause")


@dataclass(frozen=True)
class Cancelled:
    order_id: str
    reason: str


@dataclass(frozen=True)
class Refused:
    order_id: str
    reason: str
    decided: uuid.UUID | None = None  # an id the domain owns
    after: uuid.UUID | None = None  # the event of the same change that caused this one


def wired(event: Cancelled | Refused) -> Wired:
    fields = {"order_id": event.order_id, "reason": event.reason}
    if isinstance(event, Cancelled):
        return Wired(
            OrderCancelled, ORDER_LIFECYCLE, event.order_id, fields | {"stage": "before_pickup"}
        )
    return Wired(
        OrderCancellationRefused,
        ORDER_LIFECYCLE,
        event.order_id,
        fields,
        name=f"{event.order_id}/refused",
        event_id=event.decided,
        caused_by=event.after,
    )


OUTLET = Outlet("orders", wired, topic_prefix="t1.")


def test_an_event_gets_its_envelope_from_the_cause_and_its_topic_as_deployed() -> None:
    (message,) = OUTLET.messages(CAUSE, [Cancelled("ord_00000001", "buyer_request")])

    payload = json.loads(message.payload)
    assert message.topic == "t1.orders.lifecycle.v1"
    assert message.key == "ord_00000001"
    assert message.event_type == "OrderCancelled"
    assert payload["event_id"] == str(derived_event_id(CAUSE_ID, "OrderCancelled"))
    assert payload["causation_id"] == str(CAUSE_ID)
    assert payload["correlation_id"] == "corr-cause"
    assert payload["producer"] == "orders"
    assert payload["occurred_at"].startswith("2026-11-27T09:30:00")
    assert (payload["order_id"], payload["reason"]) == ("ord_00000001", "buyer_request")


def test_a_retry_of_the_same_cause_emits_the_same_ids() -> None:
    events = [
        Cancelled("ord_00000001", "buyer_request"),
        Refused("ord_00000002", "already_shipped"),
    ]

    first, again = OUTLET.messages(CAUSE, events), OUTLET.messages(CAUSE, events)

    assert [m.event_id for m in first] == [m.event_id for m in again]
    assert len({m.event_id for m in first}) == 2
    assert first[1].event_id == str(derived_event_id(CAUSE_ID, "ord_00000002/refused"))


def test_an_id_the_domain_owns_and_a_cause_within_the_change_are_kept() -> None:
    decided, cancelled = uuid.uuid4(), uuid.uuid4()

    (message,) = OUTLET.messages(
        CAUSE, [Refused("ord_00000001", "already_shipped", decided, cancelled)]
    )

    payload = json.loads(message.payload)
    assert payload["event_id"] == str(decided)
    assert payload["causation_id"] == str(cancelled)


def test_the_aggregates_correlation_stands_in_when_the_cause_has_none() -> None:
    deadline = Cause(uuid.uuid4(), AT)

    (message,) = OUTLET.messages(
        deadline, [Cancelled("ord_00000001", "buyer_request")], correlation_id="corr-order"
    )

    assert json.loads(message.payload)["correlation_id"] == "corr-order"


def test_an_event_with_neither_cause_nor_own_id_is_refused_not_given_a_random_one() -> None:
    action = Cause(None, AT, "corr")

    with pytest.raises(ValueError, match="no cause"):
        OUTLET.messages(action, [Cancelled("ord_00000001", "buyer_request")])


def test_an_event_with_no_correlation_anywhere_is_refused() -> None:
    with pytest.raises(ValueError, match="no correlation"):
        OUTLET.messages(Cause(uuid.uuid4(), AT), [Cancelled("ord_00000001", "buyer_request")])


def test_a_change_is_wired_with_the_correlation_read_off_the_changed_aggregate() -> None:
    @dataclass(frozen=True)
    class Order:
        order_id: str
        correlation_id: str
        cancelled: bool = False

    def cancel(order: Order) -> tuple[Order, list[Cancelled]]:
        if order.cancelled:
            return order, []
        return Order(order.order_id, order.correlation_id, True), [
            Cancelled(order.order_id, "buyer_request")
        ]

    change = OUTLET.change(Cause(uuid.uuid4(), AT), cancel, lambda order: order.correlation_id)

    after, (message,) = change(Order("ord_00000001", "corr-order"))
    assert after.cancelled
    assert json.loads(message.payload)["correlation_id"] == "corr-order"
    assert change(after) == (after, [])
