"""Authorization on a real broker: an authenticated Kafka node (SASL/SCRAM-SHA-512, KRaft's
StandardAuthorizer, nothing allowed without an ACL) in a stack home of its own on free ports,
provisioned as ``make up`` does it (users at format time, the registry's topics and ACLs).

Each test tries what one principal may not do, sees the broker's authorization error, and
checks nothing arrived; a positive control shows the same client setup works where allowed.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from conveyor_contracts.carriers.requests import BookShipment
from conveyor_contracts.topics import (
    CHECKOUT_ORDERS,
    INVENTORY_STOCK,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    SUPPORT_CASES,
    TOPICS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_runtime import kafka_acl_admin, kafka_topics
from conveyor_runtime.kafka_acl import registry_acls
from conveyor_runtime.kafka_auth import KafkaCredentials
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.checkout import CheckoutSettings
from conveyor_simulators.kafka import tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_simulators.run_checkout import publish_checkout
from conveyor_testkit import KafkaLogin, from_example, wait_for

A, B = "swiftpost", "libertyparcel"


@pytest.fixture
def secured(secured_kafka: KafkaLogin) -> KafkaLogin:
    """The session's authenticated broker (``conveyor_testkit``)."""
    return secured_kafka


async def publish(settings: KafkaLogin, user: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(acks="all", request_timeout_ms=10_000, **settings.options(user))
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"o-1")
    finally:
        await producer.stop()


async def read_as(
    settings: KafkaLogin, user: str, topic: str, group: str | None, expect: bytes | None = None
) -> tuple[list[bytes], str | None]:
    """What ``user`` reads of ``topic`` (in ``group``, or assigned every partition without one)
    until ``expect`` arrives or 8 s pass, and the broker's refusal, if any."""
    consumer = AIOKafkaConsumer(
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=10_000,
        **settings.options(user),
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        if group is None:
            name = topic.removesuffix(".dlq")  # a namespace's topic ends in the registry's name
            partitions = next(spec.partitions for spec in TOPICS if name.endswith(spec.name))
            consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        else:
            consumer.subscribe([topic])
        deadline = asyncio.get_running_loop().time() + 8.0
        while expect not in values and asyncio.get_running_loop().time() < deadline:
            try:
                batches = await consumer.getmany(timeout_ms=1_000)
            except (TopicAuthorizationFailedError, GroupAuthorizationFailedError) as error:
                return values, type(error).__name__
            values += [r.value for records in batches.values() for r in records if r.value]
            # A subscribed topic the metadata withholds is only logged by aiokafka, which then
            # goes on without it: the cluster view records the broker's answer.
            if topic in consumer._client.cluster.unauthorized_topics:
                return values, "TOPIC_AUTHORIZATION_FAILED in metadata"
        return values, None
    finally:
        await consumer.stop()


async def refused_read(settings: KafkaLogin, user: str, topic: str, group: str | None) -> str:
    """The broker's refusal of ``user`` reading ``topic``; fails if anything was delivered."""
    values, refusal = await read_as(settings, user, topic, group)
    assert values == [], f"{user} read {topic}"
    assert refusal is not None, f"{user} was not refused {topic}"
    return refusal


async def reads(
    settings: KafkaLogin, user: str, topic: str, group: str | None, sent: bytes
) -> bool:
    values, refusal = await read_as(settings, user, topic, group, expect=sent)
    return refusal is None and sent in values


def marker() -> bytes:
    return f"acl-test-{uuid.uuid4()}".encode()


async def test_carrier_a_cannot_read_carrier_b_requests(secured: KafkaLogin) -> None:
    requests_b = carrier_requests_topic(B).name
    sent = marker()
    await publish(secured, "shipping", requests_b, sent)  # shipping writes every carrier's

    assert await refused_read(secured, f"carrier-{A}", requests_b, group=f"carrier-{A}")
    # Without a group too, asking for the partitions directly.
    assert await refused_read(secured, f"carrier-{A}", requests_b, group=None)

    assert await reads(secured, f"carrier-{B}", requests_b, f"carrier-{B}", sent)


async def test_carrier_a_cannot_write_carrier_b_tracking_and_nothing_arrives(
    secured: KafkaLogin,
) -> None:
    tracking_b = carrier_tracking_topic(B).name
    forged = marker()
    with pytest.raises(TopicAuthorizationFailedError):
        await publish(secured, f"carrier-{A}", tracking_b, forged)
    assert forged not in (await read_as(secured, "admin", tracking_b, group=None))[0]

    own = marker()
    await publish(secured, f"carrier-{A}", carrier_tracking_topic(A).name, own)
    assert await reads(secured, "shipping", carrier_tracking_topic(A).name, "shipping", own)


async def test_a_service_cannot_write_a_topic_it_does_not_own(secured: KafkaLogin) -> None:
    forged = marker()
    with pytest.raises(TopicAuthorizationFailedError):
        await publish(secured, "inventory", ORDER_STATUS.name, forged)
    with pytest.raises(TopicAuthorizationFailedError):
        await publish(secured, "support", ORDER_LIFECYCLE.name, forged)
    for topic in (ORDER_STATUS.name, ORDER_LIFECYCLE.name):
        assert forged not in (await read_as(secured, "admin", topic, group=None))[0]

    await publish(secured, "orders", ORDER_STATUS.name, marker())  # the owner may


async def test_only_a_consumer_service_writes_a_topic_dead_letters(secured: KafkaLogin) -> None:
    await publish(secured, "orders", SUPPORT_CASES.dead_letter, marker())  # orders consumes it
    with pytest.raises(TopicAuthorizationFailedError):
        await publish(secured, "orders", ORDER_STATUS.dead_letter, marker())  # its producer
    with pytest.raises(TopicAuthorizationFailedError):
        await publish(secured, "checkout", CHECKOUT_ORDERS.dead_letter, marker())


async def test_the_checkout_writes_only_its_topic_and_reads_only_what_the_shop_shows(
    secured: KafkaLogin,
) -> None:
    await publish(secured, "checkout", CHECKOUT_ORDERS.name, marker())
    for foreign in (ORDER_STATUS.name, ORDER_LIFECYCLE.name, carrier_tracking_topic(A).name):
        with pytest.raises(TopicAuthorizationFailedError):
            await publish(secured, "checkout", foreign, marker())

    status = marker()
    await publish(secured, "orders", ORDER_STATUS.name, status)
    assert await reads(secured, "checkout", ORDER_STATUS.name, "checkout", status)
    for foreign in (ORDER_LIFECYCLE.name, carrier_requests_topic(A).name, CHECKOUT_ORDERS.name):
        assert await refused_read(secured, "checkout", foreign, group="checkout")
    # A group that is not the checkout's is refused even on a topic it may read.
    refusal = await refused_read(secured, "checkout", INVENTORY_STOCK.name, group="orders")
    assert refusal == "GroupAuthorizationFailedError"


@pytest.mark.parametrize("client", ["unauthenticated", "wrong password", "unknown user"])
async def test_a_client_without_valid_credentials_is_refused(
    secured: KafkaLogin, client: str
) -> None:
    right = secured.credentials("orders")
    auth = {
        "unauthenticated": {},
        "wrong password": KafkaCredentials(
            "orders", SecretStr("not-" + right.password.get_secret_value())
        ).client_options(),
        "unknown user": KafkaCredentials("mallory", right.password).client_options(),
    }[client]
    producer = AIOKafkaProducer(
        bootstrap_servers=secured.bootstrap, request_timeout_ms=5_000, **auth
    )
    with pytest.raises((KafkaConnectionError, KafkaError)):
        await asyncio.wait_for(producer.start(), timeout=15)
    await producer.stop()


async def test_applying_the_registry_acls_again_changes_nothing(secured: KafkaLogin) -> None:
    acls = registry_acls(TOPICS)
    admin = secured.credentials("admin")
    # As a second `make up` does: no error, the same rules, and they still hold.
    created = await kafka_acl_admin.ensure_acls(secured.bootstrap, acls, credentials=admin)
    assert created == len(acls)
    with pytest.raises(TopicAuthorizationFailedError):
        await publish(secured, "inventory", ORDER_STATUS.name, marker())


async def test_the_simulators_log_in_as_their_own_principals(secured: KafkaLogin) -> None:
    # The checkout simulator writes its topic as `checkout` (anything else would be refused).
    plan = CheckoutSettings(orders=3, seed=5, cancel_ratio=0.0, invalid_ratio=0.0)
    published = await publish_checkout(
        plan, rate=0, bootstrap=secured.bootstrap, kafka_credentials=secured.credentials_file
    )
    assert published == 3

    # A carrier simulator reads its requests and answers on its tracking, as `carrier-swiftpost`.
    calm = CarrierSettings(
        decline_rate=0.0,
        failed_delivery_rate=0.0,
        lost_rate=0.0,
        duplicate_rate=0.0,
        out_of_order_rate=0.0,
    )
    [(broker, provider, carrier)] = build_carriers(
        (A,),
        bootstrap=secured.bootstrap,
        provider_for=lambda name: tracer_provider(name, None),
        settings=calm,
        speed=300.0,
        prefix="",
        kafka_credentials=secured.credentials_file,
    )
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    booking = from_example(
        BookShipment,
        order_id=order_id,
        correlation_id=order_id,
        pickup_by=(now + timedelta(hours=4)).isoformat(),
        deliver_by=(now + timedelta(days=3)).isoformat(),
    )
    await broker.start()
    try:
        await publish(
            secured, "shipping", carrier_requests_topic(A).name, booking.model_dump_json().encode()
        )

        async def accepted() -> bool:
            values, refusal = await read_as(
                secured, "shipping", carrier_tracking_topic(A).name, group=None
            )
            assert refusal is None
            return any(order_id.encode() in v and b"ShipmentAccepted" in v for v in values)

        await wait_for(accepted, within=60, interval=1)
    finally:
        carrier.close()
        await broker.stop()
        provider.shutdown()


async def test_a_namespace_gets_the_registry_rules_on_its_topics_until_they_are_deleted(
    secured: KafkaLogin,
) -> None:
    namespace = f"t{uuid.uuid4().hex[:10]}-"
    spec = carrier_requests_topic(A)
    admin = secured.credentials("admin")
    topic = namespace + spec.name
    await kafka_topics.ensure_topics(secured.bootstrap, {topic: 1}, credentials=admin)
    acls = registry_acls([spec], namespace)
    try:
        await kafka_acl_admin.ensure_acls(secured.bootstrap, acls, credentials=admin)
        await publish(secured, "shipping", topic, marker())  # the namespace's producer may

        await kafka_acl_admin.delete_acls(secured.bootstrap, acls, credentials=admin)

        async def refused() -> bool:
            try:
                await publish(secured, "shipping", topic, marker())
            except TopicAuthorizationFailedError:
                return True
            return False  # the broker may apply the deletion a moment later

        await wait_for(refused, within=30, interval=0.5)
    finally:
        await kafka_topics.delete_topics_with_prefix(
            secured.bootstrap, namespace, credentials=admin
        )
