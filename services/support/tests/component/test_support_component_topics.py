"""Support against the topic registry: it reads every topic the registry names it a consumer of,
records every event type the order-keyed ones carry on the order's timeline, and publishes every
event type of its own topics that it emits, each as its contract says (the ``support`` fixture
parses everything it published)."""

from typing import Any

import httpx
import pytest
from support_component import (
    CONSUMED,
    NEVER_EMITTED,
    ORDER_TOPICS,
    PRODUCED,
    Callers,
    SupportComponent,
    event,
    new_order_id,
)

from conveyor_contracts.envelope import Envelope
from conveyor_contracts.erasure import PersonalDataErasureRequested
from conveyor_contracts.shipping import ShipmentLost
from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    CHECKOUT_ERASURES,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    WAREHOUSE_RETURNS,
)
from conveyor_contracts.warehouse import ReturnInspected
from conveyor_runtime.tokens import Issuer
from support.usecases.open_case_on_exception import system_case_id

CONSUMED_EVENTS = [(spec, model) for spec in ORDER_TOPICS for model in spec.events]
RETURNED = [{"sku": "TEE-BLK-M", "quantity": 2, "reason": "changed_mind"}]


def test_support_reads_exactly_the_topics_the_registry_names_it_a_consumer_of(
    support: SupportComponent,
) -> None:
    subscribed = {
        (subscriber.group_id, topic.name)
        for subscriber in support.deps.infra.broker.subscribers
        for topic in subscriber.topics
    }
    group = support.settings.topic("support")
    assert subscribed == {(group, support.topic(spec)) for spec in CONSUMED}


@pytest.mark.parametrize(
    ("spec", "model"),
    CONSUMED_EVENTS,
    ids=[f"{spec.name}:{model.__name__}" for spec, model in CONSUMED_EVENTS],
)
async def test_every_event_type_support_consumes_lands_on_its_orders_timeline(
    support: SupportComponent, spec: TopicSpec[Any], model: type[Envelope]
) -> None:
    order_id = new_order_id()
    message = event(model, order_id)

    await support.publish(spec, message, key=order_id)

    await support.settled()
    assert support.consumed(spec, "ok") == 1
    assert support.consumed(spec, "dead_lettered") == 0
    timeline = await support.deps.timelines.get(order_id)
    assert timeline is not None
    [entry] = [entry for entry in timeline.entries if entry.event_id == str(message.event_id)]
    assert (entry.event_type, entry.topic) == (model.__name__, spec.name)


async def test_every_event_type_support_emits_is_published_as_its_contract_says(
    support: SupportComponent, api: httpx.AsyncClient, token_issuer: Issuer
) -> None:
    returned = await support.place()
    await support.deliver(returned)
    who = Callers.of(token_issuer, returned.buyer_id)
    asked = await api.post(
        "/cases", json={"order_id": returned.order_id, "kind": "return_request"}, headers=who.buyer
    )
    case_id = asked.json()["case_id"]
    rma = await api.post(f"/cases/{case_id}/return", json={"lines": RETURNED}, headers=who.buyer)
    inspected = event(
        ReturnInspected,
        returned.order_id,
        rma_id=rma.json()["rma"]["rma_id"],
        lines=[{"sku": "TEE-BLK-M", "quantity": 2, "condition": "resellable"}],
    )
    await support.publish(WAREHOUSE_RETURNS, inspected, key=returned.order_id)
    lost = await support.place()
    await support.publish(SHIPPING_SHIPMENTS, event(ShipmentLost, lost.order_id), key=lost.order_id)
    await support.settled()  # the case is opened before the agent settles it
    reship = {"action": "reship", "lines": [{"sku": "TEE-BLK-M", "quantity": 2}]}
    reshipped = await api.post(
        f"/cases/{system_case_id(lost.order_id, 'ShipmentLost')}/resolution",
        json=reship,
        headers=who.agent,
    )
    erasure = event(PersonalDataErasureRequested, lost.order_id)
    await support.publish(CHECKOUT_ERASURES, erasure, key=lost.order_id)

    await support.settled()
    assert (asked.status_code, rma.status_code, reshipped.status_code) == (201, 200, 200)
    published = {support.parsed(message).event_type for message in support.published}
    registry = {model.__name__ for spec in PRODUCED for model in spec.events}
    assert published == registry - NEVER_EMITTED
    assert support.waiting(SUPPORT_CASES, dead_letter=True) == 0  # support reads its own back
