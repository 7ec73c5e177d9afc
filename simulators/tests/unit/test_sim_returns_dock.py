"""The returns dock answers a returned parcel once, whichever of its three facts comes last."""

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from conveyor_contracts.shipping import ReturnPickupBooked, ShipmentDelivered
from conveyor_contracts.support import ReturnAuthorised
from conveyor_contracts.warehouse import RETURN_EVENTS
from conveyor_simulators.run_warehouse import ReturnsDock


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    async def publish(self, body: dict[str, Any], topic: str, key: bytes) -> None:
        self.sent.append((topic, RETURN_EVENTS.validate_python(body)))


def example(model: type[Any], **fields: Any) -> Any:
    data = model.model_json_schema()["examples"][0]
    fresh = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat()}
    return model.model_validate(data | fresh | fields)


async def test_a_returned_parcel_is_received_and_inspected_once_in_any_order() -> None:
    ids = {"order_id": "ord_01J9Z3K8M4QH2V", "correlation_id": "ord_01J9Z3K8M4QH2V"}
    authorised = example(ReturnAuthorised, rma_id="rma_0123456789", **ids)
    booked = example(
        ReturnPickupBooked, rma_id="rma_0123456789", shipment_id="shp_0123456789", **ids
    )
    arrived = example(ShipmentDelivered, direction="return", shipment_id="shp_0123456789", **ids)
    for order in itertools.permutations([authorised, booked, arrived, arrived]):
        recorder = Recorder()
        dock = ReturnsDock(recorder, "p-", seed=3, damaged_rate=0.0)  # type: ignore[arg-type]
        for event in order:
            if isinstance(event, ReturnAuthorised):
                await dock.on_case(event)
            else:
                await dock.on_shipment(event)
        assert [(t, e.event_type) for t, e in recorder.sent] == [
            ("p-warehouse.returns.v1", "ReturnReceived"),
            ("p-warehouse.returns.v1", "ReturnInspected"),
        ]
        inspected = recorder.sent[1][1]
        assert [(line.sku, line.quantity, line.condition) for line in inspected.lines] == [
            (line.sku, line.quantity, "resellable") for line in authorised.lines
        ]
        assert inspected.rma_id == "rma_0123456789"
