"""What the benchmark reads off the mesh: every order's journey, stage by stage, from the events'
own ``occurred_at``, and the figures made of it (throughput, latency percentiles per hop)."""

import itertools
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

from conveyor_contracts.spec import TopicSpec
from conveyor_contracts.topics import (
    CARRIER_CODES,
    CHECKOUT_ORDERS,
    INVENTORY_RESERVATIONS,
    ORDER_LIFECYCLE,
    ORDER_STATUS,
    SHIPPING_SHIPMENTS,
    carrier_requests_topic,
    carrier_tracking_topic,
)
from conveyor_runtime.broker import build_broker
from conveyor_runtime.consumer import raw_body
from conveyor_runtime.kafka_auth import KafkaCredentials


@dataclass(frozen=True)
class Stage:
    """One step of the happy path: the event that marks it and the topic it travels on."""

    name: str
    topic: TopicSpec[Any]
    matches: Callable[[dict[str, Any]], bool]


def _is(event_type: str, **fields: str) -> Callable[[dict[str, Any]], bool]:
    return lambda body: (
        body.get("event_type") == event_type
        and all(body.get(key) == value for key, value in fields.items())
    )


# Every carrier's topics share one stage; the first carrier's spec stands for their partitions.
_REQUESTS, _TRACKING = (
    carrier_requests_topic(CARRIER_CODES[0]),
    carrier_tracking_topic(CARRIER_CODES[0]),
)
JOURNEY: tuple[Stage, ...] = (
    Stage("placed", CHECKOUT_ORDERS, _is("OrderPlaced")),
    Stage("accepted", ORDER_LIFECYCLE, _is("OrderAccepted")),
    Stage("reserved", INVENTORY_RESERVATIONS, _is("StockReserved")),
    Stage("booking_sent", _REQUESTS, _is("BookShipment")),
    Stage("carrier_accepted", _TRACKING, _is("ShipmentAccepted")),
    Stage("booked", SHIPPING_SHIPMENTS, _is("ShipmentConfirmed")),
    Stage("carrier_delivered", _TRACKING, _is("TrackingScanRecorded", status="delivered")),
    Stage("shipment_delivered", SHIPPING_SHIPMENTS, _is("ShipmentDelivered")),
    Stage("delivered", ORDER_STATUS, _is("OrderStatusChanged", status="delivered")),
)
# An order the mesh has done all it can for: ended, or backordered, waiting for stock that the
# benchmark never receives (its bound is days).
SETTLED = {"delivered", "rejected", "cancelled", "lost", "backordered"}


@dataclass
class Journeys:
    """Per order: when (event time, epoch seconds) it passed each stage, and its public status.

    An order split across warehouses books one shipment per warehouse: a stage's time is its
    last event, so "booked" means every parcel is booked.
    """

    at: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    status: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    reservations: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    released: set[str] = field(default_factory=set)

    def record(self, raw: bytes) -> None:
        body = json.loads(raw)
        order_id = body.get("order_id")
        if not isinstance(order_id, str):
            return
        if body.get("event_type") == "OrderStatusChanged":
            self.status[order_id] = body["status"]
        self._count_stock(body)
        for stage in JOURNEY:
            if stage.matches(body):
                when = datetime.fromisoformat(body["occurred_at"]).timestamp()
                self.at[order_id][stage.name] = max(when, self.at[order_id].get(stage.name, 0.0))
                self.sizes[stage.name].append(len(raw))

    def _count_stock(self, body: dict[str, Any]) -> None:
        """Units held per reservation, and the reservations given back: the oversell evidence."""
        if body.get("event_type") == "StockReserved":
            self.reservations[body["reservation_id"]] = [
                (allocation["warehouse_id"], line["sku"], line["quantity"])
                for allocation in body["allocations"]
                for line in allocation["lines"]
            ]
        elif body.get("event_type") == "StockReleased":
            self.released.add(body["reservation_id"])

    def settled(self, order_ids: Iterable[str]) -> bool:
        return all(self.status.get(order_id) in SETTLED for order_id in order_ids)

    def mean_sizes(self) -> dict[str, int]:
        return {name: round(statistics.fmean(sizes)) for name, sizes in self.sizes.items()}

    def mean_size(self) -> int:
        """Bytes of the mean journey message, over every stage's messages."""
        every = [size for sizes in self.sizes.values() for size in sizes]
        return round(statistics.fmean(every)) if every else 400


def journey_topics() -> list[TopicSpec[Any]]:
    """Every topic a stage can travel on (each carrier's pair, not just the first one's)."""
    topics = {stage.topic.name: stage.topic for stage in JOURNEY}
    for code in CARRIER_CODES:
        for spec in (carrier_requests_topic(code), carrier_tracking_topic(code)):
            topics[spec.name] = spec
    return list(topics.values())


def observer(
    kafka: str, prefix: str, journeys: Journeys, credentials: KafkaCredentials | None = None
) -> KafkaBroker:
    """A broker that reads every journey topic from the start into ``journeys``."""
    client = build_broker(kafka, "bench-observer", TracerProvider(), credentials)

    async def on_message(raw: bytes) -> None:
        journeys.record(raw)

    # One consumer for every topic: a group joined once, not once per topic.
    client.subscriber(
        *(prefix + spec.name for spec in journey_topics()),
        group_id=f"{prefix}bench-observer",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=raw_body,
    )(on_message)
    return client


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds (empty with fewer than two values)."""
    if len(values) < 2:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49] * 1000, 1), "p95": round(cuts[94] * 1000, 1),
            "p99": round(cuts[98] * 1000, 1)}  # fmt: skip


def figures(observed: Journeys, order_ids: list[str]) -> dict[str, Any]:
    """Throughput to booked and to delivered, latency per hop and end to end, for one phase."""
    names = [stage.name for stage in JOURNEY]
    at = observed.at
    journeys = [at[order_id] for order_id in order_ids if "placed" in at[order_id]]
    start = min((j["placed"] for j in journeys), default=0.0)
    statuses = Counter(observed.status.get(order_id, "not seen") for order_id in order_ids)
    result: dict[str, Any] = {
        "orders": len(order_ids),
        "settled": sum(statuses[status] for status in SETTLED),
        "statuses": dict(statuses.most_common()),
        "throughput": {},
        "latency_ms": {},
    }
    for end in ("booked", "delivered"):
        done = [j[end] for j in journeys if end in j]
        span = max(done, default=start) - start
        result["throughput"][end] = {
            "orders": len(done),
            "seconds": round(span, 2),
            "orders_per_second": round(len(done) / span, 2) if span > 0 else None,
        }
    hops: dict[str, Any] = {}
    for before, after in itertools.pairwise(names):
        waits = [j[after] - j[before] for j in journeys if before in j and after in j]
        hops[f"{before}->{after}"] = percentiles(waits)
    result["latency_ms"]["hops"] = hops
    for end in ("booked", "delivered"):
        totals = [j[end] - j["placed"] for j in journeys if end in j]
        result["latency_ms"][f"placed->{end}"] = percentiles(totals)
    return result


def oversell(journeys: Journeys, received: dict[tuple[str, str], int]) -> dict[str, Any]:
    """Units held beyond what was received, per (warehouse, sku), from the events alone: every
    reservation not released still holds (or, once dispatched, consumed) its units."""
    held: Counter[tuple[str, str]] = Counter()
    for reservation_id, lines in journeys.reservations.items():
        if reservation_id not in journeys.released:
            for warehouse, sku, units in lines:
                held[(warehouse, sku)] += units
    over = {
        f"{warehouse}|{sku}": units - received.get((warehouse, sku), 0)
        for (warehouse, sku), units in held.items()
        if units > received.get((warehouse, sku), 0)
    }
    return {
        "units_held": sum(held.values()),
        "oversold_units": sum(over.values()),
        "oversold": over,
    }
