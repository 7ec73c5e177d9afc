"""A carrier honours a cancellation before pickup and takes return pickups (real Kafka)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sim_kafka_reader import read_topic

from conveyor_contracts.carriers.requests import (
    CARRIER_REQUESTS,
    BookReturnPickup,
    BookShipment,
    CancelShipmentBooking,
)
from conveyor_contracts.carriers.tracking import ShipmentAccepted, ShipmentBookingCancelled
from conveyor_contracts.topics import carrier_requests_topic, carrier_tracking_topic
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.kafka import tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_testkit import CreateTopics, KafkaLogin

pytestmark = pytest.mark.integration
CODE = "thamesparcel"


def _request(model: type[Any], **fields: Any) -> Any:
    now = datetime.now(UTC)
    return CARRIER_REQUESTS.validate_python(
        {
            **model.model_json_schema()["examples"][0],
            "pickup_by": (now + timedelta(hours=4)).isoformat(),
            "deliver_by": (now + timedelta(days=3)).isoformat(),
            **fields,
        }
    )


async def test_cancellation_before_pickup_stops_the_scans(
    kafka: str, namespace: str, create_topics: CreateTopics, kafka_login: KafkaLogin
) -> None:
    await create_topics(carrier_requests_topic(CODE), carrier_tracking_topic(CODE))
    # A pickup an hour away even at this speed: the cancellation always arrives first.
    settings = CarrierSettings(decline_rate=0.0, pickup_delay_s=3600.0 * 60)
    [(broker, provider, carrier)] = build_carriers(
        (CODE,),
        bootstrap=kafka,
        provider_for=lambda name: tracer_provider(name, None),
        settings=settings,
        speed=60.0,
        prefix=namespace,
        kafka_credentials=kafka_login.credentials_file,  # the carrier logs in as itself
    )
    booking = _request(BookShipment, shipment_id="shp_cancel000001")
    # The same order, another shipment: a return pickup the carrier takes too.
    ret = _request(BookReturnPickup, shipment_id="shp_return000001")
    cancel = _request(
        CancelShipmentBooking,
        event_id="7f1c2a4e-9b7d-4c1e-8a55-0d6f2b9e7c10",
        shipment_id=booking.shipment_id,
        reason="order_cancelled",
    )
    # The test plays shipping's side with a client of its own, as the admin.
    producer = AIOKafkaProducer(**kafka_login.options())
    try:
        await broker.start()
        await producer.start()
        for request in (booking, ret, cancel):
            await producer.send_and_wait(
                namespace + carrier_requests_topic(CODE).name,
                request.model_dump_json().encode(),
                key=request.order_id.encode(),
            )
        records = await read_topic(
            kafka_login,
            namespace + carrier_tracking_topic(CODE).name,
            until=lambda got: len(got) >= 3,
        )
    finally:
        await producer.stop()
        carrier.close()
        await broker.stop()
        provider.shutdown()
    events = [carrier_tracking_topic(CODE).adapter.validate_json(r.value) for r in records]
    kinds = {(type(e).__name__, e.shipment_id) for e in events}
    assert kinds == {
        (ShipmentAccepted.__name__, booking.shipment_id),
        (ShipmentAccepted.__name__, ret.shipment_id),
        (ShipmentBookingCancelled.__name__, booking.shipment_id),
    }
