"""The whole mesh flows with ACLs on: the four services, the checkout, the warehouse and a
carrier, each its own principal on an authenticated broker, under the registry's ACLs."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from doorstep_mesh import Mesh, running_mesh
from test_kafka_acl_broker import read_as, refused_read

from conveyor_contracts.topics import ORDER_STATUS, carrier_requests_topic
from conveyor_testkit import KafkaLogin, Servers, wait_for


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mesh(servers: Servers, secured_kafka: KafkaLogin) -> AsyncIterator[Mesh]:
    async with running_mesh(servers, secured_kafka.bootstrap, secured=secured_kafka) as running:
        yield running


async def test_an_order_is_delivered_with_every_client_its_own_principal(
    mesh: Mesh, secured_kafka: KafkaLogin
) -> None:
    item = f"SKU-{uuid.uuid4().hex[:8].upper()}"
    await mesh.receive_goods(item, "WH-US-NJ1", 2)  # written as the warehouse
    order = await mesh.place([(item, 1)])  # as the checkout
    booking = await mesh.request("libertyparcel", order.order_id)  # shipping wrote it
    await mesh.accept("libertyparcel", booking)  # as the carrier
    start = datetime.now(UTC) - timedelta(minutes=3)
    for n, status in enumerate(("picked_up", "in_transit", "delivered")):
        await mesh.report("libertyparcel", mesh.scan(booking, status, start + timedelta(minutes=n)))
    await mesh.until_status(order.order_id, "delivered")

    # The checkout reads the buyer's status on its topic, in its own group.
    status_topic = mesh.prefix + ORDER_STATUS.name

    async def told_delivered() -> bool:
        values, refusal = await read_as(
            secured_kafka, "checkout", status_topic, f"{mesh.prefix}checkout-{uuid.uuid4().hex}"
        )
        assert refusal is None
        statuses = [ORDER_STATUS.adapter.validate_json(value) for value in values]
        return any(
            s.order_id == order.order_id and s.event_type == "OrderStatusChanged"
            and s.status == "delivered"
            for s in statuses
        )  # fmt: skip

    await wait_for(told_delivered, within=60, interval=1)
    # Another carrier is refused this carrier's requests in the mesh's namespace too.
    requests = mesh.prefix + carrier_requests_topic("libertyparcel").name
    assert await refused_read(secured_kafka, "carrier-swiftpost", requests, group=None)
