"""The simulators on the real Kafka: orders read back validated; a carrier answers in-trace."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from sim_kafka_reader import read_topic

from conveyor_contracts.carriers.requests import CARRIER_REQUESTS, BookShipment
from conveyor_contracts.carriers.tracking import ShipmentAccepted, TrackingScanRecorded
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.checkout import CheckoutSettings, plan_checkout
from conveyor_simulators.kafka import tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_simulators.run_checkout import publish_checkout
from conveyor_testkit import CreateTopics, KafkaLogin

pytestmark = pytest.mark.integration


async def test_checkout_publishes_orders_that_read_back_valid(
    kafka: str, namespace: str, create_topics: CreateTopics, kafka_login: KafkaLogin
) -> None:
    await create_topics(CHECKOUT_ORDERS)
    settings = CheckoutSettings(orders=30, seed=11, cancel_ratio=0.2, invalid_ratio=0.1)
    expected = plan_checkout(settings)
    count = await publish_checkout(
        settings,
        rate=0,
        bootstrap=kafka,
        prefix=namespace,
        kafka_credentials=kafka_login.credentials_file,  # logs in as the checkout
    )
    assert count == len(expected)

    records = await read_topic(
        kafka_login, namespace + CHECKOUT_ORDERS.name, until=lambda got: len(got) >= count
    )
    messages = [CHECKOUT_ORDERS.adapter.validate_json(record.value) for record in records]
    assert {m.event_id for m in messages} == {p.message.event_id for p in expected}
    assert all(record.key.decode() == json.loads(record.value)["order_id"] for record in records)
    # Each order starts its own trace.
    traces = {dict(record.headers)["traceparent"].split(b"-")[1] for record in records}
    assert len(traces) == count


async def test_carrier_accepts_and_scans_to_delivered_in_the_request_trace(
    kafka: str, namespace: str, create_topics: CreateTopics, kafka_login: KafkaLogin
) -> None:
    code = "swiftpost"
    await create_topics(carrier_requests_topic(code), carrier_tracking_topic(code))
    settings = CarrierSettings(
        decline_rate=0.0,
        failed_delivery_rate=0.0,
        lost_rate=0.0,
        duplicate_rate=0.0,
        out_of_order_rate=0.0,
        pickup_delay_s=60.0,
        scan_interval_s=60.0,
    )
    built = build_carriers(
        (code,),
        bootstrap=kafka,
        provider_for=lambda name: tracer_provider(name, None),
        settings=settings,
        speed=300.0,  # a simulated minute per 0.2 s
        prefix=namespace,
        kafka_credentials=kafka_login.credentials_file,  # the carrier logs in as itself
    )
    broker, provider, carrier = built[0]
    try:
        await broker.start()
        now = datetime.now(UTC)
        booking = CARRIER_REQUESTS.validate_python(
            {
                **BookShipment.model_json_schema()["examples"][0],
                "pickup_by": (now + timedelta(hours=4)).isoformat(),
                "deliver_by": (now + timedelta(days=3)).isoformat(),
            }
        )
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
        # The test plays shipping's side with a client of its own, as the admin.
        producer = AIOKafkaProducer(**kafka_login.options())
        try:
            await producer.start()
            await producer.send_and_wait(
                namespace + carrier_requests_topic(code).name,
                booking.model_dump_json().encode(),
                key=booking.order_id.encode(),
                headers=[("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01".encode())],
            )
        finally:
            await producer.stop()

        def delivered(got: list[object]) -> bool:
            return any(b'"delivered"' in record.value for record in got)  # type: ignore[attr-defined]

        records = await read_topic(
            kafka_login,
            namespace + carrier_tracking_topic(code).name,
            until=delivered,
            within=60.0,
        )
    finally:
        carrier.close()
        await broker.stop()
        provider.shutdown()

    events = [carrier_tracking_topic(code).adapter.validate_json(r.value) for r in records]
    assert isinstance(events[0], ShipmentAccepted)
    statuses = [e.status for e in events if isinstance(e, TrackingScanRecorded)]
    assert statuses == ["picked_up", "in_transit", "out_for_delivery", "delivered"]
    assert all(e.order_id == booking.order_id for e in events)
    for record in records:
        assert dict(record.headers)["traceparent"].split(b"-")[1].decode() == trace_id
