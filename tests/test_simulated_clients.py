"""The outside clients in the repo drive the mesh: the checkout simulator's orders, the
warehouse simulator's receipts and the six simulated carriers (declines, failed deliveries, lost
parcels, duplicated and out-of-order scans) take every order to an end, on the real broker and
database."""

import functools
from collections import Counter
from contextlib import AsyncExitStack

from doorstep_mesh import running_mesh

from conveyor_contracts.checkout import OrderPlaced
from conveyor_contracts.topics import CARRIER_CODES
from conveyor_simulators.carrier_model import CarrierSettings
from conveyor_simulators.checkout import CheckoutSettings, plan_checkout
from conveyor_simulators.kafka import tracer_provider
from conveyor_simulators.run_carrier import build_carriers
from conveyor_simulators.run_checkout import publish_checkout, publish_receipts
from conveyor_testkit import Servers, wait_for

FINAL = {"delivered", "returned_to_sender", "lost", "rejected", "cancelled"}
CHECKOUT = CheckoutSettings(orders=40, seed=11, cancel_ratio=0.1, invalid_ratio=0.05)
CARRIERS = CarrierSettings(
    seed=11, decline_rate=0.15, failed_delivery_rate=0.15, lost_rate=0.05, duplicate_rate=0.2,
    out_of_order_rate=0.2,
)  # fmt: skip
SPEED = 36000.0  # ten simulated hours per second: a parcel's journey takes a second or two


async def test_simulated_checkout_and_carriers_take_every_order_to_an_end(
    servers: Servers, kafka: str
) -> None:
    order_ids = [p.key for p in plan_checkout(CHECKOUT) if isinstance(p.message, OrderPlaced)]
    # Backorders the receipts never cover end short (rejected) within the test.
    inventory = {"backorder_max_wait_seconds": 5}
    async with running_mesh(servers, kafka, inventory) as mesh, AsyncExitStack() as stack:
        carriers = build_carriers(
            CARRIER_CODES,
            bootstrap=kafka,
            provider_for=functools.partial(tracer_provider, otlp_endpoint=None),
            settings=CARRIERS,
            speed=SPEED,
            prefix=mesh.prefix,
            kafka_credentials=servers.kafka_credentials,  # each carrier as itself
        )
        for broker, _, carrier in carriers:
            await broker.start()
            stack.push_async_callback(broker.stop)
            stack.callback(carrier.close)
        await publish_receipts(
            seed=11,
            warehouses=("WH-US-NJ1", "WH-CA-ON1", "WH-GB-MAN1"),
            quantity=30,
            bootstrap=kafka,
            prefix=mesh.prefix,
            kafka_credentials=servers.kafka_credentials,  # as the warehouse
        )
        await publish_checkout(
            CHECKOUT,
            rate=0,
            bootstrap=kafka,
            prefix=mesh.prefix,
            kafka_credentials=servers.kafka_credentials,  # as the checkout
        )

        async def all_final() -> Counter[str] | None:
            statuses = Counter([await mesh.order_status(order_id) for order_id in order_ids])
            return statuses if set(statuses) <= FINAL else None

        try:
            statuses = await wait_for(all_final, within=300, interval=0.5)
        except AssertionError:
            now = Counter([await mesh.order_status(order_id) for order_id in order_ids])
            raise AssertionError(f"not every order reached an end: {dict(now)}") from None

    assert isinstance(statuses, Counter)
    assert sum(statuses.values()) == len(order_ids)
    assert statuses["delivered"] > len(order_ids) // 2, statuses
    print(dict(statuses))  # noqa: T201 - the mix, for the record in -s runs
