"""The warehouses' returns dock on Kafka: a return parcel a carrier brings back is received and
inspected (``ReturnReceived``, ``ReturnInspected`` on ``warehouse.returns.v1``).

The dock learns what may come back from support's ``ReturnAuthorised`` (the RMA's lines) and
which parcel carries which RMA from shipping's ``ReturnPickupBooked``; the parcel's arrival is
shipping's ``ShipmentDelivered`` in the return direction. Those arrive on two topics in either
order, so the dock answers once it knows both. Deterministic for a seed: each RMA's inspection
draws from its own ``random.Random``.
"""

import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

from conveyor_contracts.shipping import SHIPMENT_EVENTS, ReturnPickupBooked, ShipmentDelivered
from conveyor_contracts.support import SUPPORT_CASE_EVENTS, ReturnAuthorised
from conveyor_contracts.topics import SHIPPING_SHIPMENTS, SUPPORT_CASES, WAREHOUSE_RETURNS
from conveyor_contracts.warehouse import ReturnInspected, ReturnReceived
from conveyor_simulators.kafka import broker, credentials

_NAMESPACE = uuid.UUID("0b7f5a9e-3c1d-4e8f-a2b6-9d4c7e1f3a58")


class ReturnsDock:
    def __init__(self, kafka: KafkaBroker, prefix: str, seed: int, damaged_rate: float) -> None:
        self.kafka = kafka
        self.topic = prefix + WAREHOUSE_RETURNS.name
        self.seed = seed
        self.damaged_rate = damaged_rate
        self.authorised: dict[str, ReturnAuthorised] = {}  # rma id -> authorisation
        self.parcels: dict[str, ReturnPickupBooked] = {}  # shipment id -> booking
        self.arrived: dict[str, ShipmentDelivered] = {}  # shipment id -> arrival
        self.answered: set[str] = set()

    async def on_case(self, event: Any) -> None:
        if isinstance(event, ReturnAuthorised):
            self.authorised[event.rma_id] = event
            for shipment_id, booking in self.parcels.items():
                if booking.rma_id == event.rma_id:
                    await self._answer(shipment_id)

    async def on_shipment(self, event: Any) -> None:
        if isinstance(event, ReturnPickupBooked):
            self.parcels[event.shipment_id] = event
        elif isinstance(event, ShipmentDelivered) and event.direction == "return":
            self.arrived[event.shipment_id] = event
        else:
            return
        await self._answer(event.shipment_id)

    async def _answer(self, shipment_id: str) -> None:
        booking, arrival = self.parcels.get(shipment_id), self.arrived.get(shipment_id)
        if booking is None or arrival is None or shipment_id in self.answered:
            return
        authorisation = self.authorised.get(booking.rma_id)
        if authorisation is None:
            return
        self.answered.add(shipment_id)
        rng = random.Random(f"{self.seed}:{booking.rma_id}")
        common: dict[str, Any] = {
            "occurred_at": datetime.now(UTC),
            "correlation_id": booking.correlation_id,
            "causation_id": arrival.event_id,
            "producer": "warehouse",
            "order_id": booking.order_id,
            "shipment_id": shipment_id,
            "rma_id": booking.rma_id,
            "warehouse_id": booking.warehouse_id,
        }
        received = ReturnReceived.model_validate(
            {"event_id": self._id(shipment_id, "received"), **common}
        )
        inspected = ReturnInspected.model_validate(
            {
                "event_id": self._id(shipment_id, "inspected"),
                "lines": [
                    {
                        "sku": line.sku,
                        "quantity": line.quantity,
                        "condition": "damaged"
                        if rng.random() < self.damaged_rate
                        else "resellable",
                    }
                    for line in authorisation.lines
                ],
                **common,
            }
        )
        for message in (received, inspected):
            await self.kafka.publish(
                message.model_dump(mode="json"), self.topic, key=booking.order_id.encode()
            )

    def _id(self, shipment_id: str, kind: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{self.seed}:{shipment_id}:{kind}")


def build_returns_dock(
    *,
    bootstrap: str,
    provider: TracerProvider,
    prefix: str,
    seed: int,
    damaged_rate: float,
    kafka_credentials: Path | None = None,
) -> tuple[KafkaBroker, ReturnsDock]:
    login = credentials(kafka_credentials, WAREHOUSE_RETURNS.producer)
    kafka = broker(bootstrap, "warehouse-returns", provider, login)
    dock = ReturnsDock(kafka, prefix, seed, damaged_rate)
    group = f"{prefix}warehouse-returns"

    # One parameter each: FastStream would read several as fields of the message body.
    @kafka.subscriber(
        prefix + SUPPORT_CASES.name, group_id=f"{group}-cases", auto_offset_reset="earliest"
    )
    async def on_case(body: dict[str, Any]) -> None:
        await dock.on_case(SUPPORT_CASE_EVENTS.validate_python(body))

    @kafka.subscriber(
        prefix + SHIPPING_SHIPMENTS.name,
        group_id=f"{group}-shipments",
        auto_offset_reset="earliest",
    )
    async def on_shipment(body: dict[str, Any]) -> None:
        await dock.on_shipment(SHIPMENT_EVENTS.validate_python(body))

    return kafka, dock
