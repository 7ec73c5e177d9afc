"""What the demo reads off the mesh's topics while it runs: each order's status, the shipments'
and cases' events, the sellers' inbound shipments' events, refunds and dead letters."""

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from conveyor_contracts.topics import (
    INVENTORY_INBOUND,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    SUPPORT_CASES,
    SUPPORT_REFUNDS,
    TOPICS,
)
from conveyor_local.stack.settings import Endpoints
from conveyor_runtime.consumer import raw_body
from conveyor_simulators.kafka import broker, tracer_provider

FINAL = {"delivered", "rejected", "cancelled", "lost", "returned", "refund_requested"}


@dataclass
class Observed:
    """What the demo reads off the mesh's topics while it runs."""

    status: dict[str, str] = field(default_factory=dict)  # order id -> latest public status
    first_seen: dict[str, float] = field(default_factory=dict)  # order id -> wall time
    delivered_after: dict[str, float] = field(default_factory=dict)  # order id -> seconds
    trace_of: dict[str, str] = field(default_factory=dict)  # order id -> trace id
    shipment_events: Counter[str] = field(default_factory=Counter)
    inbound_events: Counter[str] = field(default_factory=Counter)  # sellers' ASNs' events
    cases: Counter[str] = field(default_factory=Counter)
    lost_cases: dict[str, str] = field(default_factory=dict)  # order id -> lost-parcel case id
    booking_failed: set[str] = field(default_factory=set)  # orders with a shipment nobody took
    delayed: dict[str, str] = field(default_factory=dict)  # order id -> what the buyer was told

    def ended(self, order_id: str) -> bool:
        """At an end, or a return no carrier would collect: that waits for an agent's case."""
        status = self.status.get(order_id)
        return status in FINAL or (
            status == "return_in_progress" and order_id in self.booking_failed
        )

    returns: int = 0
    refunds: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)


def observer_broker(endpoints: Endpoints, prefix: str, observed: Observed) -> KafkaBroker:
    admin = endpoints.kafka_login()  # it reads every topic of the run, dead letters included
    client = broker(
        endpoints.kafka,
        "demo-observer",
        tracer_provider("demo-observer", None),
        security=admin.security() if admin else None,
    )
    group = f"{prefix}demo-observer"

    def subscribe(topic: str, handle: Any) -> None:
        client.subscriber(
            prefix + topic,
            group_id=f"{group}-{topic}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.ACK,
            decoder=raw_body,
        )(handle)

    async def on_status(raw: bytes, message: KafkaMessage) -> None:
        body = json.loads(raw)
        order_id = body["order_id"]
        observed.first_seen.setdefault(order_id, time.monotonic())
        observed.status[order_id] = body["status"]
        if body["status"] == "delayed":
            observed.delayed.setdefault(order_id, body.get("reason") or "")
        if body["status"] == "delivered":
            observed.delivered_after[order_id] = time.monotonic() - observed.first_seen[order_id]
        traceparent = message.headers.get("traceparent")
        if isinstance(traceparent, str) and order_id not in observed.trace_of:
            observed.trace_of[order_id] = traceparent.split("-")[1]

    async def on_shipment(raw: bytes) -> None:
        body = json.loads(raw)
        observed.shipment_events[body["event_type"]] += 1
        if body["event_type"] == "ShipmentBookingFailed":
            observed.booking_failed.add(body["order_id"])

    async def on_inbound(raw: bytes) -> None:
        observed.inbound_events[json.loads(raw)["event_type"]] += 1

    async def on_case(raw: bytes) -> None:
        body = json.loads(raw)
        if body["event_type"] == "CaseOpened":
            observed.cases[body["kind"]] += 1
            if body["kind"] == "lost_parcel":
                observed.lost_cases[body["order_id"]] = body["case_id"]
        elif body["event_type"] == "ReturnAuthorised":
            observed.returns += 1

    async def on_refund(raw: bytes) -> None:
        observed.refunds += 1

    def on_dead_letter(topic: str) -> Any:
        async def count(raw: bytes) -> None:
            observed.dead_letters[topic] += 1

        return count

    subscribe(ORDER_STATUS.name, on_status)
    subscribe(SHIPPING_SHIPMENTS.name, on_shipment)
    subscribe(SUPPORT_CASES.name, on_case)
    subscribe(INVENTORY_INBOUND.name, on_inbound)
    subscribe(SUPPORT_REFUNDS.name, on_refund)
    for spec in TOPICS:
        subscribe(spec.dead_letter, on_dead_letter(spec.name))
    return client
