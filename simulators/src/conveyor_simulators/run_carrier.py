"""A carrier on Kafka: answers its requests topic on its tracking topic, per its behaviour model."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import TracerProvider

from conveyor_contracts.carriers.requests import (
    CARRIER_REQUESTS,
    BookReturnPickup,
    BookShipment,
    CancelShipmentBooking,
    RecallShipment,
)
from conveyor_contracts.carriers.tracking import (
    ShipmentAccepted,
    ShipmentBookingCancelled,
    ShipmentDeclined,
    TrackingScanRecorded,
)
from conveyor_contracts.topics import carrier_requests_topic, carrier_tracking_topic
from conveyor_simulators.carrier_model import CarrierSettings, plan_shipment
from conveyor_simulators.kafka import broker, credentials


class Carrier:
    """One carrier's state: the scans still to send, so a cancellation can stop them."""

    def __init__(
        self, code: str, kafka: KafkaBroker, settings: CarrierSettings, speed: float, prefix: str
    ) -> None:
        self.code = code
        self.kafka = kafka
        self.settings = settings
        self.speed = speed
        self.topic = prefix + carrier_tracking_topic(code).name
        self.producer = f"carrier:{code}"
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.picked_up: set[str] = set()

    def _envelope(self, request: Any, kind: str, *extra: object) -> dict[str, Any]:
        return {
            "event_id": uuid.uuid5(request.event_id, f"{kind}:{':'.join(map(str, extra))}"),
            "occurred_at": datetime.now(UTC),
            "correlation_id": request.correlation_id,
            "causation_id": request.event_id,
            "producer": self.producer,
            "order_id": request.order_id,
            "shipment_id": request.shipment_id,
        }

    def close(self) -> None:
        """Drop the scans not yet due: a stopped carrier sends nothing more."""
        for task in self.pending.values():
            task.cancel()
        self.pending.clear()

    async def _send(self, message: Any) -> None:
        await self.kafka.publish(
            message.model_dump(mode="json"), self.topic, key=message.order_id.encode()
        )

    async def handle(self, request: Any) -> None:
        if isinstance(request, BookShipment | BookReturnPickup):
            await self._book(request)
        elif isinstance(request, CancelShipmentBooking):
            task = self.pending.pop(request.shipment_id, None)
            # Honoured only before pickup; after it the parcel is on its way.
            if request.shipment_id not in self.picked_up:
                if task is not None:
                    task.cancel()
                await self._send(ShipmentBookingCancelled(**self._envelope(request, "cancelled")))
            elif task is not None:
                self.pending[request.shipment_id] = task
        elif isinstance(request, RecallShipment):
            task = self.pending.pop(request.shipment_id, None)
            if task is not None:
                task.cancel()
            await self._send(
                TrackingScanRecorded(
                    **self._envelope(request, "recall"),
                    tracking_number=request.tracking_number,
                    status="returned_to_sender",
                    raw_status="RTS",
                    scanned_at=datetime.now(UTC),
                    location_code=f"{self.code[:3].upper()}-HUB1",
                )
            )

    async def _book(self, request: BookShipment | BookReturnPickup) -> None:
        plan = plan_shipment(self.code, request, self.settings)
        if not plan.accepted:
            await self._send(
                ShipmentDeclined(**self._envelope(request, "declined"), reason="no_capacity")
            )
            return
        # Published inside the handler: the telemetry middleware makes it a child of the request.
        await self._send(
            ShipmentAccepted(
                **self._envelope(request, "accepted"),
                tracking_number=plan.tracking_number,
                estimated_delivery=(request.deliver_by - timedelta(hours=1)).date(),
            )
        )
        # Scans go out later, outside the handler: capture the request's trace context now and
        # re-attach it in the task so the scans join the same trace.
        trace_context = otel_context.get_current()

        async def scans() -> None:
            token = otel_context.attach(trace_context)
            try:
                started = asyncio.get_running_loop().time()
                for number, scan in enumerate(plan.scans):
                    wait = started + scan.at_s / self.speed - asyncio.get_running_loop().time()
                    await asyncio.sleep(max(wait, 0.0))
                    if scan.status == "picked_up":
                        self.picked_up.add(request.shipment_id)
                    await self._send(
                        TrackingScanRecorded(
                            **self._envelope(request, "scan", number, scan.status),
                            tracking_number=plan.tracking_number,
                            status=scan.status,
                            raw_status=scan.raw_status,
                            scanned_at=scan.scanned_at,
                            location_code=scan.location_code,
                        )
                    )
            finally:
                otel_context.detach(token)
                self.pending.pop(request.shipment_id, None)

        self.pending[request.shipment_id] = asyncio.create_task(scans())


def _handler(carrier: Carrier) -> Any:
    # One parameter only: FastStream would read several as fields of the message body.
    async def on_request(body: dict[str, Any]) -> None:
        await carrier.handle(CARRIER_REQUESTS.validate_python(body))

    return on_request


def build_carriers(
    codes: tuple[str, ...],
    *,
    bootstrap: str,
    provider_for: Any,
    settings: CarrierSettings,
    speed: float,
    prefix: str = "",
    kafka_credentials: Path | None = None,
) -> list[tuple[KafkaBroker, TracerProvider, Carrier]]:
    """One broker per carrier: each has its own service.name and consumer group."""
    built = []
    for code in codes:
        provider: TracerProvider = provider_for(f"carrier-{code}")
        login = credentials(kafka_credentials, carrier_tracking_topic(code).producer)
        kafka = broker(bootstrap, f"carrier-{code}", provider, login)
        carrier = Carrier(code, kafka, settings, speed, prefix)

        kafka.subscriber(
            prefix + carrier_requests_topic(code).name,
            group_id=f"{prefix}carrier-{code}",
            auto_offset_reset="earliest",
        )(_handler(carrier))
        built.append((kafka, provider, carrier))
    return built
