"""The first-response deadline as a durable timer, in memory: the poller learns it from the
cases' write and fires it on time, in the trace of the order it belongs to."""

import uuid

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from support_component import Callers, SupportComponent, event, new_order_id

from conveyor_contracts.shipping import ShipmentLost
from conveyor_contracts.topics import SHIPPING_SHIPMENTS, SUPPORT_CASES
from conveyor_runtime.tokens import Issuer
from conveyor_testkit import wait_for
from support.settings import SupportSettings
from support.usecases.open_case_on_exception import system_case_id

FIRST_RESPONSE = 0.05  # seconds an automatic case may wait here for an answer


@pytest.fixture
def support_settings(support_settings: SupportSettings) -> SupportSettings:
    return support_settings.model_copy(update={"first_response_seconds": FIRST_RESPONSE})


async def test_an_unanswered_case_is_escalated_once_by_its_timer_in_its_orders_trace(
    support: SupportComponent,
    api: httpx.AsyncClient,
    token_issuer: Issuer,
    spans: InMemorySpanExporter,
) -> None:
    order_id = new_order_id()
    trace_id = uuid.uuid4().hex
    traced = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
    lost = event(ShipmentLost, order_id)
    await support.publish(SHIPPING_SHIPMENTS, lost, key=order_id, headers=traced)
    await support.next(SUPPORT_CASES)  # CaseOpened, due an answer within FIRST_RESPONSE
    path = f"/cases/{system_case_id(order_id, 'ShipmentLost')}"
    agent = Callers.of(token_issuer, "byr_ada00001").agent

    async def escalated() -> dict[str, object] | None:
        case: dict[str, object] = (await api.get(path, headers=agent)).json()
        return case if case["escalated"] else None

    case = await wait_for(escalated, within=5, interval=0.01)

    async def nothing_due() -> bool:  # the firing's write left no deadline to fire again
        return await support.deps.timer.poller.sweep() == 0

    await wait_for(nothing_due, within=5, interval=0.01)

    assert isinstance(case, dict)
    assert (case["kind"], case["status"], case["opened_by"]) == ("lost_parcel", "open", "system")
    await support.settled()
    assert support.waiting(SUPPORT_CASES) == 0  # an escalation is internal: no contract event
    assert support.deps.infra.tracer_provider.force_flush()
    fired = [span for span in spans.get_finished_spans() if span.name == "cases timer fire"]
    assert len(fired) == 1
    assert fired[0].context is not None
    assert format(fired[0].context.trace_id, "032x") == trace_id
    assert fired[0].attributes is not None
    assert fired[0].attributes["conveyor.order_id"] == order_id
