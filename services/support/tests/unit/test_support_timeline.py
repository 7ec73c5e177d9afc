"""The timeline: one entry per event id, causal order whatever the arrival order, no personal
data in entries."""

import itertools
import uuid
from datetime import timedelta
from typing import Any, get_args

import pytest
from pydantic import BaseModel
from support_testkit import ORDER, event, world

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.inventory import StockReserved
from conveyor_contracts.orders import OrderAccepted
from conveyor_contracts.privacy import personal_data_field_names, personal_data_paths
from conveyor_contracts.shipping import ShipmentExceptionRaised
from conveyor_contracts.support import CaseOpened
from conveyor_testkit import from_example
from support.domain.timeline import Timeline, causal_order, entry_of, key_facts
from support.entrypoints.kafka import TIMELINE_TOPICS
from support.usecases.record_timeline_on_order_event import record_timeline_on_order_event

T0 = world().clock.now


async def test_a_redelivered_event_is_one_entry() -> None:
    w = world()
    placed = event(OrderPlaced, at=T0)
    for _ in range(3):
        await record_timeline_on_order_event(placed, "checkout.orders.v1", None, w.timelines)
    timeline = await w.timelines.get(ORDER)
    assert timeline is not None
    assert [e.event_id for e in timeline.entries] == [str(placed.event_id)]
    entry = timeline.entries[0]
    assert (entry.event_type, entry.service, entry.topic) == (
        "OrderPlaced",
        "checkout",
        "checkout.orders.v1",
    )


async def test_an_effect_comes_after_its_cause_even_when_its_clock_says_earlier() -> None:
    w = world()
    placed = event(OrderPlaced, at=T0)
    # The orders host's clock is behind: its acceptance claims to precede the placement.
    accepted = event(OrderAccepted, at=T0 - timedelta(seconds=5), causation_id=placed.event_id)
    reserved = event(StockReserved, at=T0 - timedelta(seconds=9), causation_id=accepted.event_id)
    for e, topic in (
        (reserved, "inventory.reservations.v1"),
        (accepted, "orders.lifecycle.v1"),
        (placed, "checkout.orders.v1"),
    ):
        await record_timeline_on_order_event(e, topic, None, w.timelines)
    timeline = await w.timelines.get(ORDER)
    assert timeline is not None
    assert [e.event_type for e in timeline.entries] == [
        "OrderPlaced",
        "OrderAccepted",
        "StockReserved",
    ]


def test_without_a_known_cause_entries_go_by_time_then_event_id() -> None:
    unknown_cause = uuid.uuid4()
    a = event(OrderAccepted, at=T0, event_id="00000000-0000-4000-8000-000000000002")
    b = event(OrderAccepted, at=T0, event_id="00000000-0000-4000-8000-000000000001")
    c = event(StockReserved, at=T0 - timedelta(seconds=1), causation_id=unknown_cause)
    entries = [entry_of(e, topic="t", trace_id=None) for e in (a, b, c)]
    ordered = causal_order(entries)
    assert [e.event_id for e in ordered] == [str(c.event_id), str(b.event_id), str(a.event_id)]


def test_the_order_depends_only_on_the_set_of_entries() -> None:
    placed = event(OrderPlaced, at=T0)
    accepted = event(OrderAccepted, at=T0 + timedelta(seconds=1), causation_id=placed.event_id)
    late = event(StockReserved, at=T0 - timedelta(seconds=3), causation_id=accepted.event_id)
    other = event(ShipmentExceptionRaised, at=T0 + timedelta(seconds=2))
    entries = [entry_of(e, topic="t", trace_id=None) for e in (placed, accepted, late, other)]
    results = set()
    for arrival in itertools.permutations(entries):
        timeline = Timeline(ORDER, ORDER)
        for entry in arrival:
            timeline = timeline.with_entry(entry)
        results.add(tuple(e.event_id for e in timeline.entries))
    assert len(results) == 1


def test_a_causation_cycle_keeps_every_entry_once_earliest_first() -> None:
    # Bad data: b and c each name the other as their cause. Nothing is lost or repeated.
    b_id, c_id = uuid.uuid4(), uuid.uuid4()
    a = event(OrderPlaced, at=T0)
    b = event(OrderAccepted, at=T0 + timedelta(seconds=1), event_id=b_id, causation_id=c_id)
    c = event(StockReserved, at=T0 + timedelta(seconds=2), event_id=c_id, causation_id=b_id)
    entries = [entry_of(e, topic="t", trace_id=None) for e in (a, b, c)]
    ordered = causal_order(entries)
    assert [e.event_id for e in ordered] == [str(a.event_id), str(b_id), str(c_id)]


async def test_entries_carry_no_personal_data_but_the_buyer_is_kept_for_access() -> None:
    w = world()
    placed = event(OrderPlaced, buyer_id="byr_secret42", at=T0)
    timeline = await record_timeline_on_order_event(
        placed, "checkout.orders.v1", "ab" * 16, w.timelines
    )
    facts = timeline.entries[0].facts
    assert timeline.buyer_id == "byr_secret42"
    assert timeline.entries[0].trace_id == "ab" * 16
    assert {"buyer_id", "ship_to", "recipient"}.isdisjoint(facts)
    assert "byr_secret42" not in repr(timeline.entries)
    assert facts["market"] == "US"
    assert facts["order_total"] == {"amount_minor": 4497, "currency": "USD"}
    assert facts["lines_count"] == 1


def test_free_text_is_left_out_of_the_facts() -> None:
    opened = event(CaseOpened, summary="Ada Lovelace, 1 Market St: box crushed")
    exception = event(ShipmentExceptionRaised, detail="left with neighbour at no. 4")
    assert "summary" not in key_facts(opened)
    assert key_facts(opened)["kind"] == "where_is_my_order"
    assert "detail" not in key_facts(exception)
    assert key_facts(exception)["code"] == "damaged"


def _personal_values(model: type[BaseModel]) -> set[str]:
    """The example values of the model's personal fields (names, streets, buyer ids...)."""
    example = model.model_json_schema()["examples"][0]
    found: set[str] = set()
    for path in personal_data_paths(model):
        values: list[Any] = [example]
        for part in path.split("."):
            values = [
                item
                for value in values
                for item in (value if isinstance(value, list) else [value])
                if isinstance(item, dict)
                for item in [item.get(part)]
                if item is not None
            ]
        for value in values:
            found.update(str(v) for v in (value if isinstance(value, list) else [value]))
    return found


@pytest.mark.parametrize(
    "model",
    [model for spec in TIMELINE_TOPICS for model in get_args(get_args(spec.message)[0])],
    ids=lambda model: model.__name__,
)
def test_no_event_of_any_consumed_topic_puts_personal_data_in_facts(
    model: type[BaseModel],
) -> None:
    facts = key_facts(from_example(model))
    flat = {str(v) for v in facts.values()} | {
        str(v) for value in facts.values() if isinstance(value, dict) for v in value.values()
    }
    assert not set(facts) & personal_data_field_names(model)
    assert not flat & _personal_values(model)
    assert {"detail", "summary", "buyer_id"}.isdisjoint(facts)
