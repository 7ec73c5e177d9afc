"""The first-response deadline is a durable timer: an unanswered automatic case is escalated
once, and the document then has nothing due."""

from typing import Any

from support_fixtures import new_order_id, running_support, support_settings

from conveyor_contracts.shipping import ShipmentLost
from conveyor_runtime.mongo import build_mongo_client
from conveyor_runtime.telemetry import build_tracer_provider
from conveyor_testkit import CreateTopics, Servers, from_example, wait_for
from support.entrypoints.kafka import CONSUMED_TOPICS
from support.usecases.open_case_on_exception import system_case_id


async def test_an_unanswered_case_is_escalated_by_the_timer(
    servers: Servers, kafka: str, namespace: str, create_topics: CreateTopics
) -> None:
    await create_topics(*CONSUMED_TOPICS)
    settings = support_settings(servers, kafka, namespace, first_response_seconds=0.5)
    order_id = new_order_id()
    case_id = system_case_id(order_id, "ShipmentLost")
    lost = from_example(ShipmentLost, order_id=order_id, correlation_id=order_id)
    async with running_support(servers, settings) as running:
        await running.publish("shipping.shipments.v1", lost, key=order_id)

        async def escalated() -> dict[str, Any] | None:
            response = await running.http.get(f"/cases/{case_id}", headers=running.agent)
            case: dict[str, Any] = response.json()
            return case if response.status_code == 200 and case["escalated"] else None

        case = await wait_for(escalated, within=60)

    assert isinstance(case, dict)
    assert (case["kind"], case["status"], case["opened_by"]) == ("lost_parcel", "open", "system")
    mongo = build_mongo_client(servers.mongo_url, build_tracer_provider("test", None))
    try:
        document = await mongo[settings.mongo_database]["cases"].find_one({"_id": order_id})
    finally:
        await mongo.close()
    assert document is not None
    assert document["due_at"] is None  # fired once: nothing left to fire
